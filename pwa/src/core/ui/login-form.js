import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { signIn } from '../session.js';
import { AccountPart, loadAccount } from './account-part.js';
import { describeError } from './errors.js';

/**
 * The password step, then (for an account with a second factor) the second step from the account
 * chunk. `notice`: a function that says a sentence to show above the form (the set-up link's
 * "now sign in", a second step that took too long), so that it follows the language.
 */
export function LoginForm({ onSignedIn, notice = null }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [second, setSecond] = useState(null); // {answer, username}: the server asked for a second step
  const [said, setSaid] = useState(() => notice); // a function (see above), kept as it is
  const [name, setName] = useState(''); // kept for the way back from the second step
  // The password just typed, handed on with the session: a one-time password to be changed at
  // once (scope "password") is not asked a second time. Never stored.
  const typed = useRef(null);

  async function submit(event) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const username = String(form.get('username')).trim();
    typed.current = String(form.get('password'));
    setBusy(true);
    setError(null);
    setSaid(null);
    // Fetched beside the password check, not after it: on a thin link the second step's code
    // must not add a round trip. Failures show when the step is shown (AccountPart).
    loadAccount().catch(() => {});
    try {
      const result = await signIn(username, typed.current);
      if (result.secondStep) {
        setSecond({ answer: result.secondStep, username });
        setBusy(false);
      } else onSignedIn(result, typed.current);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  }

  if (second) {
    return html`
      <${AccountPart}
        name="SecondStep"
        answer=${second.answer}
        username=${second.username}
        onSignedIn=${(session) => onSignedIn(session, typed.current)}
        onBack=${(why) => {
          setSecond(null);
          setSaid(() => why);
        }}
      />
    `;
  }

  return html`
    <form class="card login" onSubmit=${submit} aria-busy=${busy ? 'true' : 'false'}>
      <h2 class="card__heading">${t('police.sign_in')}</h2>
      ${said && html`<p class="notice" role="status">${typeof said === 'function' ? said() : said}</p>`}
      <div class="field">
        <label for="login-username">${t('police.username')}</label>
        <input
          id="login-username"
          name="username"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          value=${name}
          onInput=${(event) => setName(event.currentTarget.value)}
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
