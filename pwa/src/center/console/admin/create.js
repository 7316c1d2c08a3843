// A new account by hand: who, which role and unit, a phone, and an initial password the server
// checks (a weak one is refused with its reason, said at the field). The person must change it at
// first sign-in only if the server says so; the admin gives it to them in person.
import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { describeError } from '../../../core/ui/errors.js';
import { getLang } from '../../../core/i18n.js';
import { has, t } from './i18n.js';
import { createUser, KINDS, ROLES } from './model.js';
import { unitLabel } from './parts.js';

const FIELDS = ['username', 'display_name', 'role', 'unit', 'phone', 'password'];
const EMPTY = { username: '', display_name: '', role: 'officer', unit: '', phone: '', password: '' };

export function CreateForm({ token, units, onDone, onCancel }) {
  const [form, setForm] = useState(EMPTY);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState(null); // {field, text}
  const element = useRef(null);
  const set = (name, value) => {
    setForm((f) => ({ ...f, [name]: value }));
    if (refusal?.field === name) setRefusal(null);
  };

  async function submit(event) {
    event.preventDefault();
    if (busy) return;
    if (form.role === 'officer' && !form.unit) {
      // Said here at once: the server would refuse it, but in a sentence not tied to the field.
      setRefusal({ field: 'unit', text: t('admin.create.unit_hint') });
      requestAnimationFrame(() => element.current?.querySelector('[name=unit]')?.focus());
      return;
    }
    setBusy(true);
    setRefusal(null);
    const body = { username: form.username.trim(), display_name: form.display_name.trim(), role: form.role, password: form.password };
    if (form.unit) body.unit = form.unit;
    if (form.phone.trim()) body.phone = form.phone.trim();
    try {
      await createUser(token, body);
      onDone(body.username);
    } catch (error) {
      const found = refusalOf(error);
      setRefusal(found);
      setBusy(false);
      requestAnimationFrame(() => element.current?.querySelector(found.field ? `[name=${found.field}]` : '.form-error')?.focus());
    }
  }

  const errorOf = (name) => (refusal?.field === name ? refusal.text : null);
  const field = (name, input, hint) => html`
    <div class="a-field">
      <label class="a-field__label" for=${`a-new-${name}`}>${t(`admin.create.${name}`)}</label>
      ${input({ id: `a-new-${name}`, name, 'aria-invalid': errorOf(name) ? 'true' : undefined,
        'aria-describedby': [hint && `a-new-${name}-hint`, errorOf(name) && `a-new-${name}-error`].filter(Boolean).join(' ') || undefined })}
      ${hint && html`<span class="a-field__hint" id=${`a-new-${name}-hint`}>${hint}</span>`}
      ${errorOf(name) && html`<span class="field-error" id=${`a-new-${name}-error`} role="alert">${errorOf(name)}${refusal.detail
        && html` <span lang="en">${refusal.detail}</span>`}</span>`}
    </div>`;
  const text = (name, extra = {}) => (props) => html`
    <input ...${props} ...${extra} value=${form[name]} onInput=${(e) => set(name, e.currentTarget.value)} />`;
  return html`
    <form class="a-panel a-form" ref=${element} aria-labelledby="a-create-title" aria-busy=${busy ? 'true' : 'false'} noValidate onSubmit=${submit} data-panel="create">
      <div class="a-panel__head">
        <h2 class="a-panel__title" id="a-create-title">${t('admin.create.title')}</h2>
      </div>
      ${field('username', text('username', { autocomplete: 'off', required: true, spellcheck: false }), t('admin.create.username_hint'))}
      ${field('display_name', text('display_name', { autocomplete: 'off', required: true }))}
      ${field('role', (props) => html`
        <select ...${props} value=${form.role} onChange=${(e) => set('role', e.currentTarget.value)}>
          ${ROLES.map((r) => html`<option key=${r} value=${r}>${t(`police.roles.${r}`)}</option>`)}
        </select>`)}
      ${field('unit', (props) => html`
        <select ...${props} value=${form.unit} onChange=${(e) => set('unit', e.currentTarget.value)}>
          <option value="">${t('admin.no_unit')}</option>
          ${KINDS.map((kind) => {
            const found = (units ?? []).filter((u) => u.kind === kind);
            return found.length > 0 && html`<optgroup key=${kind} label=${t(`admin.units.kinds.${kind}`)}>
              ${found.map((u) => html`<option key=${u.code} value=${u.code}>${unitLabel(u.code, units)}</option>`)}</optgroup>`;
          })}
        </select>`, form.role === 'officer' ? t('admin.create.unit_hint') : null)}
      ${field('phone', text('phone', { type: 'tel', autocomplete: 'off', inputmode: 'tel' }))}
      ${field('password', text('password', { type: 'text', autocomplete: 'new-password', spellcheck: false, required: true }), t('admin.create.password_hint'))}
      ${refusal && !refusal.field && html`<p class="form-error" role="alert" tabindex="-1">${refusal.text}</p>`}
      <div class="a-actions">
        <button type="submit" class="button button--primary" disabled=${busy}>${busy ? t('admin.busy') : t('admin.create.submit')}</button>
        <button type="button" class="button button--secondary" onClick=${onCancel}>${t('admin.cancel')}</button>
      </div>
    </form>
  `;
}

/** `{field, text}`: a weak password with the server's reason; a refusal at its field; else the general one. */
function refusalOf(error) {
  const code = error?.refusal ?? error?.code;
  if (code === 'weak_password') {
    // The reason comes from the password checker, in English: said after our own sentence.
    const reason = error.params?.reason ?? error.serverMessage;
    return { field: 'password', text: t('admin.create.weak'), detail: reason };
  }
  const field = FIELDS.includes(error?.field) ? error.field : code === 'conflict' || code === 'username_taken' ? 'username' : null;
  const key = `admin.create.refusals.${code}`;
  const text = has(key) ? t(key) : error?.status === 422 && error.serverMessage && getLang() === 'en' ? error.serverMessage : describeError(error);
  return { field, text };
}
