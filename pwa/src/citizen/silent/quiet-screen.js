// Issue 29: after a silent report, a dim plain screen that does not look like an emergency app
// to someone looking over the person's shoulder. It holds, small and in the same grey: whether
// the report went, the one question about sharing the live location (asked once, remembered),
// the sign that it is shared with a way to stop, three quick replies for someone who cannot type
// much, and a way back to the app.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from './strings.js';
import { useReports } from '../reports/use-reports.js';
import { getPref, setPref } from '../store.js';
import { tracker } from './tracker.js';

export const CONSENT = 'live_location';
export const QUICK_REPLIES = ['cannot_speak', 'still_here', 'safe'];

export function useTracker() {
  const [, setVersion] = useState(tracker.version);
  useEffect(() => tracker.subscribe(setVersion), []);
  return tracker;
}

export function QuietScreen({ id }) {
  const model = useReports();
  const live = useTracker();
  const [consent, setConsent] = useState(undefined); // undefined: not read yet; null: never asked
  const [said, setSaid] = useState(null);

  useEffect(() => {
    // The tab's name too says nothing of an emergency (the app's own comes back with its screens).
    const title = document.title;
    document.title = t('citizen.quiet.title');
    return () => {
      document.title = title;
    };
  }, []);
  useEffect(() => {
    model.setFocus(id);
    getPref(CONSENT).then((value) => setConsent(value ?? null));
    return () => model.setFocus(null);
  }, [id]);

  const report = model.view(id);
  const finished = report && (['done', 'not_handled'].includes(report.status) || report.merged);
  // Stopped in this page, or before (the record keeps it across a closed app): not started again.
  const stopped = live.stopped?.id === id ? live.stopped.why : model.records.get(id)?.sharing === false ? 'person' : null;
  useEffect(() => {
    if (consent === 'yes' && report && !finished && !stopped) live.start(id);
  }, [consent, Boolean(report), finished]);

  function answer(value) {
    setConsent(value);
    setPref(CONSENT, value);
  }

  async function reply(key) {
    await model.addMessage(id, t(`citizen.quiet.replies.${key}`));
    setSaid(key);
  }

  const sent = report && !['saved'].includes(report.status);
  // The police's messages, newest last, in the same grey: read here without a sound or a notice.
  const police = (report?.thread ?? []).filter((m) => m.from === 'police').slice(-3);
  // How many fixes this phone holds (for tests and support: not shown).
  const fixes = model.docs.get(id)?.report.getMap('report').get('track')?.length ?? 0;
  return html`
    <div class="quiet" data-quiet=${id} data-fixes=${fixes}>
      <p class="quiet__line" role="status" data-sent=${sent ? 'yes' : 'no'}>
        ${sent ? t('citizen.quiet.sent') : t('citizen.quiet.saved')}
      </p>
      ${consent === null && !finished &&
      html`<section class="quiet__box" aria-labelledby="quiet-consent">
        <h2 class="quiet__line" id="quiet-consent">${t('citizen.quiet.consent')}</h2>
        <p class="quiet__small">${t('citizen.quiet.consent_detail')}</p>
        <div class="quiet__row">
          <button type="button" class="quiet__button" data-consent="yes" onClick=${() => answer('yes')}>${t('citizen.quiet.share')}</button>
          <button type="button" class="quiet__button" data-consent="no" onClick=${() => answer('no')}>${t('citizen.quiet.no_share')}</button>
        </div>
      </section>`}
      ${live.id === id &&
      html`<p class="quiet__line quiet__sharing" data-sharing="on">
        ${t('citizen.quiet.sharing')}
        <button type="button" class="quiet__button" data-stop-sharing onClick=${() => live.stop()}>${t('citizen.quiet.stop')}</button>
      </p>`}
      ${live.id !== id && stopped &&
      html`<p class="quiet__small" data-sharing="off">${t(`citizen.quiet.stopped_${stopped}`)}</p>`}
      ${police.length > 0 &&
      html`<section class="quiet__box" aria-labelledby="quiet-police">
        <h2 class="quiet__small" id="quiet-police">${t('citizen.quiet.police')}</h2>
        ${police.map((m) => html`<p key=${m.id} class="quiet__line" data-police-message>${m.text}</p>`)}
      </section>`}
      <section class="quiet__box" aria-labelledby="quiet-replies">
        <h2 class="quiet__small" id="quiet-replies">${t('citizen.quiet.replies_heading')}</h2>
        <div class="quiet__column">
          ${QUICK_REPLIES.map(
            (key) => html`<button key=${key} type="button" class="quiet__button" data-quick=${key} onClick=${() => reply(key)}>
              ${t(`citizen.quiet.replies.${key}`)}
            </button>`,
          )}
        </div>
        ${said && html`<p class="quiet__small" data-said=${said}>${t('citizen.quiet.replied')}</p>`}
      </section>
      <p class="quiet__small"><a class="quiet__link" href=${`#/reports/${id}`}>${t('citizen.quiet.back')}</a></p>
    </div>
  `;
}
