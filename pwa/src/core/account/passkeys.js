// Passkeys of the signed-in account: add one on this device, see and remove them.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { request } from '../api.js';
import { when } from './when.js';
import { explain, passkeyTrouble, t, useSaid } from './strings.js';
import { createPasskey, passkeysSupported } from './webauthn.js';

/** A name the owner will recognise in the list later: the kind of device, as the browser says. */
function deviceGuess() {
  const agent = navigator.userAgent;
  if (/iPhone|iPad/.test(agent)) return 'iPhone';
  if (/Android/.test(agent)) return 'Android';
  if (/Windows/.test(agent)) return 'Windows';
  if (/Mac OS X/.test(agent)) return 'Mac';
  if (/Linux/.test(agent)) return 'Linux';
  return '';
}

/** Make a passkey on this device; `onAdded(answer)` with the server's `{id, name, recovery_codes?}`. */
export function PasskeyAdd({ session, onAdded, primary = true, withName = true }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useSaid();
  if (!passkeysSupported()) return html`<p class="acct-muted">${t('account.passkey.unsupported')}</p>`;

  async function add(event) {
    event.preventDefault();
    const name = (event.currentTarget.elements.name?.value ?? '').trim() || deviceGuess();
    setBusy(true);
    setError(null);
    try {
      const options = await request('/api/auth/webauthn/register/options', { method: 'POST', token: session.token });
      const credential = await createPasskey(options.publicKey ?? options);
      const answer = await request('/api/auth/webauthn/register', {
        method: 'POST',
        token: session.token,
        body: name ? { credential, name } : { credential },
      });
      setBusy(false);
      onAdded(answer ?? {});
    } catch (failure) {
      setBusy(false);
      setError(() => passkeyTrouble(failure));
    }
  }

  return html`
    <form class="acct-form" onSubmit=${add} noValidate>
      ${withName && html`
        <div class="field">
          <label for="passkey-name">${t('account.passkey.name')}</label>
          <input id="passkey-name" name="name" maxlength="60" defaultValue=${deviceGuess()} autocomplete="off" />
        </div>
      `}
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
      <button type="submit" class=${`button button--block ${primary ? 'button--primary' : 'button--secondary'}`} disabled=${busy}>
        ${busy ? t('account.passkey.waiting') : t('account.passkey.add')}
      </button>
    </form>
  `;
}

/** The account's passkeys, each with when it was made and last used, and a two-step remove. */
export function PasskeyList({ session, passkeys, onChange }) {
  const [confirm, setConfirm] = useState(null);
  const [busy, setBusy] = useState(null);
  const [error, setError] = useSaid();

  async function remove(id) {
    setBusy(id);
    setError(null);
    try {
      await request(`/api/auth/webauthn/credentials/${encodeURIComponent(id)}`, { method: 'DELETE', token: session.token });
      setConfirm(null);
      await onChange();
    } catch (failure) {
      setError(() => explain(failure));
    } finally {
      setBusy(null);
    }
  }

  if (!passkeys.length) return html`<p class="acct-muted">${t('account.passkey.none')}</p>`;
  return html`
    <ul class="acct-list" aria-label=${t('account.passkey.list')}>
      ${passkeys.map((p) => html`
        <li key=${p.id} class="acct-item" data-passkey=${p.id}>
          <div class="acct-item__text">
            <strong>${p.name || t('account.passkey.unnamed')}</strong>
            <span class="acct-muted">
              ${t('account.passkey.made', { when: when(p.created_at) })}
              ${' · '}
              ${p.last_used_at ? t('account.passkey.used', { when: when(p.last_used_at) }) : t('account.passkey.never_used')}
            </span>
          </div>
          ${confirm === p.id
            ? html`
                <div class="acct-item__actions">
                  <button type="button" class="button button--danger" disabled=${busy === p.id} onClick=${() => remove(p.id)}>
                    ${t('account.passkey.remove_confirm')}
                  </button>
                  <button type="button" class="button button--secondary" onClick=${() => setConfirm(null)}>${t('account.cancel')}</button>
                </div>
              `
            : html`
                <button type="button" class="button button--secondary" onClick=${() => setConfirm(p.id)}
                  aria-label=${t('account.passkey.remove_named', { name: p.name || t('account.passkey.unnamed') })}>
                  ${t('account.passkey.remove')}
                </button>
              `}
        </li>
      `)}
    </ul>
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
  `;
}
