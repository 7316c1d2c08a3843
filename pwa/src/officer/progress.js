import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../core/i18n.js';
import { clock } from './format.js';
import { attach, forgetPhotos, listPhotos, sendWaiting } from './media.js';
import { officer } from './model.js';
import { nextSteps } from './state.js';

const STEPS = ['acknowledged', 'en_route', 'on_scene', 'resolved'];

/** The unit's progress buttons: each appends a timeline entry in the officer's own name. */
export function Progress({ view, position }) {
  const [form, setForm] = useState(null); // 'resolved' | 'need_support' | 'note'
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [photos, setPhotos] = useState([]);
  const addPhotoNote = (ids) => officer.record(view.id, 'note', { note: t('officer.photos_note'), media: ids });
  const refreshPhotos = () => listPhotos(view.id).then(setPhotos, () => {});

  useEffect(() => {
    refreshPhotos();
    if (!view.loaded) return undefined;
    const send = () => sendWaiting(view.id, addPhotoNote).then(refreshPhotos);
    send();
    addEventListener('online', send); // photos taken with no signal go when coverage returns
    return () => removeEventListener('online', send);
  }, [view.id, view.loaded]);

  if (!view.assigned) {
    return html`<section class="card o-progress"><p class="notice" role="status">${t('officer.not_assigned')}</p></section>`;
  }
  const steps = nextSteps(view.stage);
  const waiting = photos.filter((p) => p.state === 'waiting');
  const refused = photos.filter((p) => p.state === 'refused');

  async function act(type, note = '', files = []) {
    setBusy(true);
    setError(null);
    try {
      const entry = await officer.record(view.id, type, { note, position });
      setForm(null);
      if (files.length) {
        await attach(view.id, files, entry.id);
        await refreshPhotos();
        sendWaiting(view.id, addPhotoNote).then(refreshPhotos);
      }
    } catch (failure) {
      console.warn('progress not recorded', failure);
      setError(t('officer.record_failed'));
    } finally {
      setBusy(false);
    }
  }

  return html`
    <section class="card o-progress" aria-labelledby="progress-heading">
      <h2 class="card__heading" id="progress-heading">${t('officer.progress')}</h2>
      <ol class="o-steps">
        ${STEPS.map((type) => {
          const mode = steps[type];
          if (mode === 'done') {
            const at = view.times[type];
            return html`<li key=${type} class="o-step o-step--done" data-step=${type}>
              <span class="o-step__mark" aria-hidden="true">✓</span>
              <span>${t(`officer.step.${type}`)}</span>
              <span class="o-muted">${at ? clock(at) : t('officer.skipped')}</span>
            </li>`;
          }
          return html`<li key=${type} class="o-step" data-step=${type}>
            <button
              type="button"
              class=${`button button--block ${mode === 'next' ? 'button--primary' : 'button--secondary'}`}
              disabled=${mode === 'off' || busy || !view.loaded}
              aria-expanded=${type === 'resolved' ? String(form === 'resolved') : undefined}
              onClick=${() => (type === 'resolved' ? setForm('resolved') : act(type))}
            >${t(`officer.act.${type}`)}</button>
          </li>`;
        })}
      </ol>
      ${form === 'resolved' &&
      html`<${NoteForm}
        id="resolve"
        label=${t('officer.outcome')}
        required=${true}
        photos=${true}
        submit=${t('officer.act.resolved_confirm')}
        busy=${busy}
        onSubmit=${(note, files) => act('resolved', note, files)}
        onCancel=${() => setForm(null)}
      />`}
      ${view.stage !== 'resolved' &&
      html`<button
        type="button"
        class="button button--block o-support"
        disabled=${busy || !view.loaded}
        aria-expanded=${String(form === 'need_support')}
        onClick=${() => setForm('need_support')}
      >${t('officer.act.need_support')}</button>`}
      ${form === 'need_support' &&
      html`<${NoteForm}
        id="support"
        label=${t('officer.support_note')}
        submit=${t('officer.act.need_support_confirm')}
        busy=${busy}
        onSubmit=${(note) => act('need_support', note)}
        onCancel=${() => setForm(null)}
      />`}
      <button
        type="button"
        class="button button--secondary button--block"
        disabled=${busy || !view.loaded}
        aria-expanded=${String(form === 'note')}
        onClick=${() => setForm('note')}
      >${t('officer.act.note')}</button>
      ${form === 'note' &&
      html`<${NoteForm}
        id="note"
        label=${t('officer.note')}
        required=${true}
        submit=${t('officer.act.note_save')}
        busy=${busy}
        onSubmit=${(note) => act('note', note)}
        onCancel=${() => setForm(null)}
      />`}
      ${waiting.length > 0 &&
      html`<div>
        <p class="o-muted">${t('officer.photos_waiting', { n: waiting.length })}</p>
        <div class="o-thumbs">
          ${waiting.map((p) => html`<span key=${p.localId} class="o-thumb"><img src=${p.preview} alt=${t('officer.photo')} /></span>`)}
        </div>
      </div>`}
      ${refused.map(
        (p) => html`<div key=${p.localId} class="o-photo-refused" role="alert">
          <span class="o-thumb"><img src=${p.preview} alt=${t('officer.photo')} /></span>
          <p>${t('officer.photo_refused', { reason: p.refused?.message || p.refused?.code || '' })}</p>
          <button type="button" class="button button--secondary" onClick=${() => forgetPhotos([p.localId]).then(refreshPhotos)}>
            ${t('officer.photo_remove')}
          </button>
        </div>`,
      )}
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
    </section>
  `;
}

function NoteForm({ id, label, required = false, photos = false, submit, busy, onSubmit, onCancel }) {
  function send(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const files = photos ? form.getAll('photos').filter((f) => f && f.size) : [];
    onSubmit(String(form.get('note') ?? ''), files);
  }
  return html`
    <form class="o-form" onSubmit=${send}>
      <div class="field">
        <label for=${`${id}-note`}>${label}</label>
        <textarea id=${`${id}-note`} name="note" rows="3" maxlength="2000" required=${required}></textarea>
      </div>
      ${photos && html`<${PhotoField} id=${`${id}-photos`} />`}
      <button type="submit" class="button button--primary button--block" disabled=${busy}>${submit}</button>
      <button type="button" class="button button--secondary button--block" onClick=${onCancel}>${t('officer.cancel')}</button>
    </form>
  `;
}

/**
 * The outcome photos: a button in the app's language and style (the browser's own file input
 * says "Choose file" in the browser's language, in small grey type). The input stays in the
 * form, transparent over the button (officer.css), so taps, the keyboard and screen readers
 * still reach it.
 */
function PhotoField({ id }) {
  const [count, setCount] = useState(0);
  return html`
    <div class="field">
      <p class="o-field-label" id=${`${id}-label`}>${t('officer.photos')}</p>
      <label class="button button--secondary button--block o-file-button">
        <input
          id=${id}
          name="photos"
          type="file"
          accept="image/*"
          capture="environment"
          multiple
          aria-labelledby=${`${id}-label ${id}-pick`}
          onChange=${(e) => setCount(e.currentTarget.files.length)}
        />
        <span id=${`${id}-pick`}>${t('officer.photos_pick')}</span>
      </label>
      ${count > 0 && html`<p class="o-muted" role="status">${t('officer.photos_chosen', { n: count })}</p>`}
    </div>
  `;
}
