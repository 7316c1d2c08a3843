// The "Cảnh báo" screen (issue 24): the police list of public warnings and the draft form, side by
// side. A chunk of its own, fetched when the screen is first opened (index.js).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ConfirmDialog } from '../../../core/ui/confirm-dialog.js';
import { describeError } from '../../../core/ui/errors.js';
import { useLang } from '../../../core/use-lang.js';
import { t } from '../i18n.js';
import { WarningForm } from './form.js';
import { WarningList } from './list.js';
import { loadWards, send, useWarnings } from './model.js';
import { areaText, ExerciseBadge } from './parts.js';
import warningsCss from './warnings.css' with { type: 'text' };

let adopted = false;

function adoptStyles() {
  if (adopted || !('adoptedStyleSheets' in document)) return;
  adopted = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(warningsCss.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s+/g, ' '));
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

adoptStyles();

export function WarningsScreen({ session, focusId }) {
  // Its own words follow a change of language even if the console above did not render again.
  // (Also keeps core/use-lang.js in the chunk it shares with what this screen imports: alone,
  // it was a 100-byte chunk the shell preloads, too small to precompress.)
  useLang();
  const { items, failed, refresh } = useWarnings(session.token);
  const [wards, setWards] = useState(null);
  const [form, setForm] = useState(null); // null, or {base} (base: the warning to update, or null)
  const [confirm, setConfirm] = useState(null); // the warning whose cancel is being confirmed
  const [busyId, setBusyId] = useState(null);
  const [actionError, setActionError] = useState(null); // {id, text}
  const [done, setDone] = useState(null); // the last step's sentence, said politely
  const [focus, setFocus] = useState(focusId);

  useEffect(() => setFocus(focusId), [focusId]);
  useEffect(() => {
    loadWards().then(setWards, () => setWards([]));
  }, []);

  async function act(warning, path, said) {
    setBusyId(warning.id);
    setActionError(null);
    try {
      await send(`/api/warnings/${encodeURIComponent(warning.id)}/${path}`, session.token);
      setDone(t(said, { headline: warning.headline }));
      await refresh();
    } catch (error) {
      setActionError({ id: warning.id, text: describeError(error) });
    } finally {
      setBusyId(null);
    }
  }

  function drafted(result) {
    setForm(null);
    setFocus(result.id);
    setDone(t('center.warnings.done.drafted'));
    refresh();
  }

  return html`
    <div class="w-screen">
      <section class="w-screen__list" aria-labelledby="w-title">
        <div class="w-screen__head">
          <h1 class="w-screen__title" id="w-title">${t('center.warnings.title')}</h1>
          <button type="button" class="button button--primary" data-action="new-warning" onClick=${() => setForm({ base: null })} disabled=${Boolean(form)}>
            ${t('center.warnings.actions.new')}
          </button>
        </div>
        <p class="w-screen__status" role="status">${done ?? ''}</p>
        ${failed && html`<p class="form-error" role="alert">${t('center.warnings.failed')}</p>`}
        <${WarningList}
          items=${items}
          user=${session.user}
          focusId=${focus}
          busyId=${busyId}
          actionError=${actionError}
          onApprove=${(w) => act(w, 'approve', 'center.warnings.done.approved')}
          onUpdate=${(w) => setForm({ base: w })}
          onCancel=${setConfirm}
        />
      </section>
      <aside class="w-screen__side" aria-label=${t('center.warnings.side')}>
        ${form
          ? html`<${WarningForm} key=${form.base?.id ?? 'new'} token=${session.token} wards=${wards} base=${form.base}
              onDone=${drafted} onCancel=${() => setForm(null)} />`
          : html`<${Intro} />`}
      </aside>
      ${confirm && html`
        <${ConfirmCancel} warning=${confirm} onNo=${() => setConfirm(null)}
          onYes=${() => {
            setConfirm(null);
            act(confirm, 'cancel', confirm.status === 'draft' ? 'center.warnings.done.discarded' : 'center.warnings.done.cancelled');
          }} />`}
    </div>
  `;
}

function Intro() {
  return html`
    <section class="w-intro">
      <h2>${t('center.warnings.intro.title')}</h2>
      <ol>
        <li>${t('center.warnings.intro.draft')}</li>
        <li>${t('center.warnings.intro.approve')}</li>
        <li>${t('center.warnings.intro.cancel')}</li>
      </ol>
    </section>
  `;
}

/** A published warning's cancel goes to every phone at once, with no second person: say so first. */
function ConfirmCancel({ warning, onYes, onNo }) {
  const draft = warning.status === 'draft';
  return html`
    <${ConfirmDialog} id="w-confirm" boxClass="w-confirm" actionsClass="w-actions"
      title=${draft ? t('center.warnings.confirm.discard_title') : t('center.warnings.confirm.title')}
      text=${draft ? t('center.warnings.confirm.discard_text') : t('center.warnings.confirm.text')}
      textClass=${draft ? '' : 'w-confirm__warn'}
      yes=${{
        label: draft ? t('center.warnings.confirm.discard_yes') : t('center.warnings.confirm.yes'),
        action: 'confirm-cancel',
        className: draft ? 'button button--secondary' : 'button button--danger',
      }}
      no=${{ label: t('center.warnings.confirm.no'), action: 'keep' }} onYes=${onYes} onNo=${onNo}>
      <p class="w-confirm__headline">${warning.exercise && html`<${ExerciseBadge} /> `}${warning.headline}</p>
      <p class="muted">${areaText(warning)}</p>
    <//>
  `;
}
