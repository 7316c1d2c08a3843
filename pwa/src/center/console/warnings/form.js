// The draft of a warning (or of an update of one): area, category, CAP words, the text in
// Vietnamese (English optional), expiry, exercise; and the phone's notice as it will read.
// Nothing is sent to a phone from here: a supervisor who is not the author approves it first.
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { cityZone } from '../../../core/time-format.js';
import { describeError } from '../../../core/ui/errors.js';
import { has, t } from '../i18n.js';
import { Choices } from '../incident/action-form.js';
import { AreaPicker } from './area.js';
import { clock, spoken } from '../format.js';
import { bodyOf, CATEGORIES, CERTAINTIES, formFrom, fromLocalInput, HEADLINE_MAX, send, SEVERITIES, URGENCIES } from './model.js';
import { ExerciseBadge } from './parts.js';

const FIELDS = ['wards', 'category', 'severity', 'urgency', 'certainty', 'headline', 'description', 'instruction',
  'headline_en', 'description_en', 'instruction_en', 'expires', 'exercise'];

/** `base`: the warning this is an update of (its fields prefilled), or null for a new one. */
export function WarningForm({ token, wards, base, onDone, onCancel }) {
  const [form, setForm] = useState(() => formFrom(base));
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState(null); // {field, text}
  const element = useRef(null);
  const set = (changes) => {
    setForm((f) => ({ ...f, ...changes }));
    if (refusal && Object.keys(changes).some((k) => k === refusal.field || (refusal.field === 'wards' && k === 'all'))) setRefusal(null);
  };
  const errorOf = (field) => (refusal?.field === field ? refusal.text : null);

  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setRefusal(null);
    try {
      const path = base ? `/api/warnings/${encodeURIComponent(base.id)}/update` : '/api/warnings';
      const result = await send(path, token, bodyOf(form));
      onDone(result);
    } catch (error) {
      const field = FIELDS.includes(error?.field) ? error.field : null;
      setRefusal({ field, text: refusalOf(error, field) });
      setBusy(false);
      requestAnimationFrame(() => {
        const target = field === 'wards' ? '[name=all_city]' : field ? `[name=${field}]` : '.form-error';
        element.current?.querySelector(target)?.focus();
      });
    }
  }

  const cap = (name, words) => words.map((w) => ({ value: w, label: w, hint: t(`center.warnings.cap.${w}`) }));
  const title = base ? t('center.warnings.form.update_title') : t('center.warnings.form.title');
  return html`
    <form class="w-form" ref=${element} aria-labelledby="w-form-title" aria-busy=${busy ? 'true' : 'false'} noValidate onSubmit=${submit}>
      <h2 class="w-form__title" id="w-form-title">${title}</h2>
      ${base && html`<p class="w-form__hint">${t('center.warnings.form.update_hint', { headline: base.headline })}</p>`}
      <p class="w-form__hint">${t('center.warnings.form.second_person')}</p>

      <label class=${form.exercise ? 'w-check w-exercise w-exercise--on' : 'w-check w-exercise'}>
        <input type="checkbox" name="exercise" checked=${form.exercise} disabled=${Boolean(base)} onChange=${(e) => set({ exercise: e.currentTarget.checked })} />
        <span><${ExerciseBadge} /> ${t('center.warnings.form.exercise')}</span>
      </label>
      ${errorOf('exercise') && html`<p class="field-error" role="alert">${errorOf('exercise')}</p>`}

      <${AreaPicker} wards=${wards} all=${form.all} codes=${form.wards} error=${errorOf('wards')}
        onChange=${({ all, codes }) => set({ all, wards: codes })} />

      <${Select} name="category" label=${t('center.warnings.form.category')} value=${form.category} error=${errorOf('category')}
        options=${CATEGORIES.map((c) => ({ value: c, label: t(`center.warnings.categories.${c}`) }))} onChange=${(v) => set({ category: v })} />
      <div class="w-cap">
        <${Choices} name="severity" legend=${t('center.warnings.form.severity')} options=${cap('severity', SEVERITIES)}
          value=${form.severity} onChange=${(v) => set({ severity: v })} columns=${2} error=${errorOf('severity')} />
        <${Choices} name="urgency" legend=${t('center.warnings.form.urgency')} options=${cap('urgency', URGENCIES)}
          value=${form.urgency} onChange=${(v) => set({ urgency: v })} error=${errorOf('urgency')} />
        <${Choices} name="certainty" legend=${t('center.warnings.form.certainty')} options=${cap('certainty', CERTAINTIES)}
          value=${form.certainty} onChange=${(v) => set({ certainty: v })} error=${errorOf('certainty')} />
      </div>

      <${Text} name="headline" label=${t('center.warnings.form.headline')} value=${form.headline} max=${HEADLINE_MAX}
        single error=${errorOf('headline')} onInput=${(v) => set({ headline: v })} />
      <${Text} name="description" label=${t('center.warnings.form.description')} value=${form.description} rows=${4}
        error=${errorOf('description')} onInput=${(v) => set({ description: v })} />
      <${Text} name="instruction" label=${t('center.warnings.form.instruction')} value=${form.instruction} rows=${3}
        error=${errorOf('instruction')} onInput=${(v) => set({ instruction: v })} />

      <details class="w-english" open=${Boolean(form.headline_en || form.description_en || form.instruction_en) || ['headline_en', 'description_en', 'instruction_en'].includes(refusal?.field)}>
        <summary>${t('center.warnings.form.english')}</summary>
        <${Text} name="headline_en" label=${t('center.warnings.form.headline_en')} value=${form.headline_en} max=${HEADLINE_MAX}
          single lang="en" error=${errorOf('headline_en')} onInput=${(v) => set({ headline_en: v })} />
        <${Text} name="description_en" label=${t('center.warnings.form.description_en')} value=${form.description_en} rows=${3}
          lang="en" error=${errorOf('description_en')} onInput=${(v) => set({ description_en: v })} />
        <${Text} name="instruction_en" label=${t('center.warnings.form.instruction_en')} value=${form.instruction_en} rows=${2}
          lang="en" error=${errorOf('instruction_en')} onInput=${(v) => set({ instruction_en: v })} />
      </details>

      <div class="w-field">
        <label class="w-field__label" for="w-expires">${t('center.warnings.form.expires', { zone: cityZone() })}</label>
        <input type="datetime-local" id="w-expires" name="expires" value=${form.expires} required
          aria-invalid=${errorOf('expires') ? 'true' : undefined} aria-describedby=${errorOf('expires') ? 'expires-error w-expires-in' : 'w-expires-in'}
          onInput=${(e) => set({ expires: e.currentTarget.value })} />
        ${errorOf('expires') && html`<span class="field-error" id="expires-error" role="alert">${errorOf('expires')}</span>`}
        <${ExpiresIn} value=${form.expires} />
      </div>

      <${Preview} form=${form} />
      ${refusal && !refusal.field && html`<p class="form-error" role="alert" tabindex="-1">${refusal.text}</p>`}
      ${refusal?.field && html`<p class="form-error">${t('center.warnings.form.see_field')}</p>`}
      <div class="action-form__buttons w-form__buttons">
        <button type="submit" class="button button--primary" disabled=${busy}>
          ${busy ? t('center.actions.sending') : base ? t('center.warnings.form.submit_update') : t('center.warnings.form.submit')}
        </button>
        <button type="button" class="button button--secondary" onClick=${onCancel}>${t('center.actions.cancel')}</button>
      </div>
    </form>
  `;
}

/** What the field needs, in the page's language; else the refusal as every app says it. */
function refusalOf(error, field) {
  const key = `center.warnings.refusals.${field}`;
  return error?.status === 422 && field && has(key) ? t(key) : describeError(error);
}

/** The expiry said plainly (the input speaks the browser's locale, perhaps with AM/PM). */
function ExpiresIn({ value }) {
  const at = fromLocalInput(value);
  if (at === null) return null;
  const left = at - Date.now();
  return html`<small class=${left > 0 ? 'w-count' : 'w-count w-count--over'} id="w-expires-in">
    ${left > 0 ? t('center.warnings.form.expires_in', { at: clock(at), left: spoken(left) }) : t('center.warnings.form.expires_past')}
  </small>`;
}

function Select({ name, label, value, options, onChange, error }) {
  return html`
    <div class="w-field">
      <label class="w-field__label" for=${`w-${name}`}>${label}</label>
      <select id=${`w-${name}`} name=${name} value=${value} aria-invalid=${error ? 'true' : undefined}
        aria-describedby=${error ? `${name}-error` : undefined} onChange=${(e) => onChange(e.currentTarget.value)}>
        <option value="">${t('center.warnings.form.choose')}</option>
        ${options.map((o) => html`<option key=${o.value} value=${o.value}>${o.label}</option>`)}
      </select>
      ${error && html`<span class="field-error" id=${`${name}-error`} role="alert">${error}</span>`}
    </div>
  `;
}

/** A text input or area; `max`: a counter that turns red past the limit (the server refuses it then). */
function Text({ name, label, value, onInput, max, rows = 3, single, lang, error }) {
  const over = max && value.length > max;
  const counterId = `${name}-count`;
  const described = [error && `${name}-error`, max && counterId].filter(Boolean).join(' ') || undefined;
  const props = { id: `w-${name}`, name, lang, value, 'aria-invalid': error || over ? 'true' : undefined, 'aria-describedby': described, onInput: (e) => onInput(e.currentTarget.value) };
  return html`
    <div class="w-field">
      <label class="w-field__label" for=${`w-${name}`}>${label}</label>
      ${single ? html`<input type="text" ...${props} />` : html`<textarea rows=${rows} ...${props}></textarea>`}
      ${error && html`<span class="field-error" id=${`${name}-error`} role="alert">${error}</span>`}
      ${max && html`<small class=${over ? 'w-count w-count--over' : 'w-count'} id=${counterId}>${t('center.warnings.form.count', { n: value.length, max })}</small>`}
    </div>
  `;
}

/** The notice as the phone will show it: the exercise mark, headline, then the instruction. */
function Preview({ form }) {
  const exercise = form.exercise ? `[${t('center.warnings.form.exercise_prefix')}] ` : '';
  return html`
    <section class="w-preview" aria-labelledby="w-preview-title">
      <h3 id="w-preview-title" class="w-preview__title">${t('center.warnings.form.preview')}</h3>
      <div class="w-phone">
        <p class="w-phone__app">SOS ANTT</p>
        <p class="w-phone__headline">${exercise}${form.headline.trim() || t('center.warnings.form.preview_empty')}</p>
        <p class="w-phone__body">${(form.instruction || form.description).trim() || '…'}</p>
      </div>
    </section>
  `;
}
