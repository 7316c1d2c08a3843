import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../../core/i18n.js';
import { CategoryPicker } from '../category-picker.js';
import { loadContact, reportContact } from '../contact/contact.js';
import { EmergencyNumbers } from '../emergency-numbers.js';
import { DRAFT, listMedia } from '../media.js';
import { loadServices } from '../later.js';
import { go } from '../router.js';
import { clearDraft, loadDraft, saveDraft } from './draft.js';
import { useLocation } from './location.js';
import { LocationCard } from './location-card.js';
import { MediaPicker } from './media-picker.js';
import { SilentHold } from '../silent/hold.js';

const MAX_DESCRIPTION = 4000;

/**
 * Make a report. The category is the only thing asked for; everything else helps but is
 * optional, and the one big button saves the report on the phone and sends it.
 */
export function ReportScreen() {
  const draft = useRef(loadDraft()).current;
  const [category, setCategory] = useState(draft.category ?? null);
  const [description, setDescription] = useState(draft.description ?? '');
  const [danger, setDanger] = useState(draft.danger === true);
  const [media, setMedia] = useState([]);
  const [contact, setContact] = useState(null);
  const [error, setError] = useState(null);
  // Prepared from a warning's "Cần giúp đỡ": the report is linked to it (warnings/answers.js).
  const [warning, setWarning] = useState(draft.warning ? { id: draft.warning, headline: draft.warning_headline } : null);
  const [busy, setBusy] = useState(false);
  const location = useLocation();
  const categoryRef = useRef(null);

  useEffect(() => {
    listMedia(DRAFT).then(setMedia);
    loadContact().then(setContact);
    // A refused report brought back to fix: its place comes back with it.
    if (draft.location) location.place(draft.location.lat, draft.location.lon, draft.location.accuracy);
  }, []);

  useEffect(() => saveDraft({ category, description, danger }), [category, description, danger]);

  function choose(code) {
    setCategory(code);
    setError(null);
  }

  async function send(event) {
    event.preventDefault();
    if (!category) {
      setError(t('citizen.form.need_category'));
      categoryRef.current?.querySelector('input')?.focus();
      return;
    }
    setBusy(true);
    try {
      const { position } = location;
      // Yjs and the queue may still be on their way on a thin link: the button says "saving"
      // meanwhile, and the draft stays kept until the report is saved in the queue.
      const services = await loadServices().catch(() => null);
      if (!services) {
        setError(t('citizen.later.send_failed'));
        setBusy(false);
        return;
      }
      const id = await services.reports.create({
        category,
        description: description.trim(),
        danger,
        location: position && ['found', 'placed'].includes(location.state) ? position : null,
        contact: reportContact(contact),
        mediaIds: media.map((m) => m.localId),
        warning: warning?.id,
      });
      clearDraft();
      go(`/reports/${id}`);
    } catch (failure) {
      console.error(failure);
      setError(t('citizen.form.failed', { error: String(failure?.message ?? failure) }));
      setBusy(false);
    }
  }

  const left = MAX_DESCRIPTION - description.length;
  return html`
    <form class="report-form" onSubmit=${send} noValidate>
      <${EmergencyNumbers} />
      ${warning && html`<p class="notice w-linked" data-linked-warning=${warning.id}>
        ${t('citizen.warnings.linked', { headline: warning.headline ?? '' })}
        <button type="button" class="button button--secondary" onClick=${() => {
          setWarning(null);
          saveDraft({ warning: undefined, warning_headline: undefined });
        }}>${t('citizen.warnings.unlink')}</button>
      </p>`}
      <div ref=${categoryRef}>
        <${CategoryPicker} value=${category} onChange=${choose} />
      </div>
      <button
        type="button"
        class="danger-toggle"
        aria-pressed=${danger ? 'true' : 'false'}
        aria-describedby="danger-hint"
        onClick=${() => setDanger(!danger)}
      >
        <span class="danger-toggle__mark" aria-hidden="true">${danger ? '✓' : '!'}</span>
        <span class="danger-toggle__label">${t('citizen.form.danger')}</span>
      </button>
      <p class="field__hint danger-hint" id="danger-hint">
        ${danger ? t('citizen.form.danger_on') : t('citizen.form.danger_hint')}
      </p>
      <${SilentHold} location=${location} />
      <${LocationCard} location=${location} />
      <section class="card" aria-labelledby="details-heading">
        <h2 class="card__heading" id="details-heading">${t('citizen.form.details_heading')}</h2>
        <div class="field">
          <label for="report-description">${t('citizen.form.description_label')}</label>
          <textarea
            id="report-description"
            name="description"
            rows="4"
            maxlength=${MAX_DESCRIPTION}
            aria-describedby="report-description-hint"
            value=${description}
            onInput=${(e) => setDescription(e.currentTarget.value)}
          ></textarea>
          <p class="field__hint" id="report-description-hint">
            ${t('citizen.form.description_hint')}
            ${left < 500 && html` ${t('citizen.form.chars_left', { n: left })}`}
          </p>
        </div>
      </section>
      <${MediaPicker} items=${media} onChange=${setMedia} />
      <div class="send-bar">
        ${error && html`<p class="form-error" role="alert">${error}</p>`}
        <button class="button button--send" type="submit" disabled=${busy}>
          ${busy ? t('citizen.form.sending') : t('citizen.form.send')}
        </button>
      </div>
      <p class="send-note">${t('citizen.form.no_call')}</p>
      <p class="send-note">
          ${reportContact(contact)
            ? html`${t('citizen.form.contact_line', { contact: [contact.name, contact.phone].filter(Boolean).join(' · ') })}
                <a href="#/contact">${t('citizen.form.contact_edit')}</a>`
            : html`<a href="#/contact">${t('citizen.form.contact_add')}</a>`}
      </p>
    </form>
  `;
}
