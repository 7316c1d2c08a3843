import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../core/i18n.js';
import { describeError } from '../../core/ui/errors.js';
import { loadContact, markAsked, PHONE, saveContact } from './contact.js';

/**
 * Name and phone for call-backs, both optional. `onDone(contact|null)` after Save or Skip.
 * `compact`: the one-time question on a report's screen, with a Skip button.
 */
export function ContactForm({ onDone, compact = false, headingLevel = 2 }) {
  const [contact, setContact] = useState(null);
  const [error, setError] = useState(null);
  const [note, setNote] = useState(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    loadContact().then((c) => setContact({ name: c?.name ?? '', phone: c?.phone ?? '' }));
  }, []);

  if (!contact) return null;

  async function submit(event) {
    event.preventDefault();
    const name = contact.name.trim();
    const phone = contact.phone.trim();
    if (phone && !PHONE.test(phone)) {
      setError(t('citizen.contact.phone_invalid'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const synced = await saveContact({ name, phone });
      setNote(synced ? t('citizen.contact.saved') : t('citizen.contact.saved_offline'));
      onDone?.({ name, phone });
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  async function skip() {
    await markAsked();
    onDone?.(null);
  }

  const Heading = `h${headingLevel}`;
  return html`
    <form class="card contact" onSubmit=${submit} aria-labelledby="contact-heading">
      <${Heading} class="card__heading" id="contact-heading">
        ${compact ? t('citizen.contact.ask_heading') : t('citizen.contact.heading')}
      <//>
      <p>${t('citizen.contact.intro')}</p>
      <div class="field">
        <label for="contact-name">${t('citizen.contact.name')}</label>
        <input
          id="contact-name"
          name="name"
          autocomplete="name"
          maxlength="100"
          value=${contact.name}
          onInput=${(e) => setContact({ ...contact, name: e.currentTarget.value })}
        />
      </div>
      <div class="field">
        <label for="contact-phone">${t('citizen.contact.phone')}</label>
        <input
          id="contact-phone"
          name="phone"
          type="tel"
          inputmode="tel"
          autocomplete="tel"
          maxlength="20"
          value=${contact.phone}
          onInput=${(e) => setContact({ ...contact, phone: e.currentTarget.value })}
          aria-invalid=${error ? 'true' : undefined}
          aria-describedby=${error ? 'contact-error' : undefined}
        />
      </div>
      ${error && html`<p class="form-error" id="contact-error" role="alert">${error}</p>`}
      ${note && html`<p class="notice notice--ok" role="status">${note}</p>`}
      <div class="actions">
        <button class="button button--primary" type="submit" disabled=${busy}>${t('citizen.contact.save')}</button>
        ${compact &&
        html`<button class="button button--secondary" type="button" onClick=${skip}>${t('citizen.contact.skip')}</button>`}
      </div>
    </form>
  `;
}
