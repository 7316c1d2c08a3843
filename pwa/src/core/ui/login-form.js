import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { signIn } from '../session.js';
import { describeError } from './errors.js';

export function LoginForm({ onSignedIn }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    setError(null);
    try {
      const session = await signIn(String(form.get('username')).trim(), String(form.get('password')));
      onSignedIn(session);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  }

  return html`
    <form class="card login" onSubmit=${submit} aria-busy=${busy ? 'true' : 'false'}>
      <h2 class="card__heading">${t('police.sign_in')}</h2>
      <div class="field">
        <label for="login-username">${t('police.username')}</label>
        <input
          id="login-username"
          name="username"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          required
        />
      </div>
      <div class="field">
        <label for="login-password">${t('police.password')}</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
        />
      </div>
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
      <button class="button button--primary button--block" type="submit" disabled=${busy}>
        ${busy ? t('police.signing_in') : t('police.sign_in')}
      </button>
    </form>
  `;
}
