// The sign-in's second step, after a right password for an account with a second factor: a passkey
// first (one touch on a phone with a screen lock), else the 6-digit code of the authenticator app,
// else one of the recovery codes kept on paper. No token exists until this step succeeds.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../api.js';
import { storeSession } from '../session.js';
import { useLang } from '../use-lang.js';
import { explain, passkeyTrouble, t, useSaid } from './strings.js';
import { getPasskey, passkeysSupported } from './webauthn.js';

/** `answer`: the server's `{second_factor, challenge, webauthn?}`; `onBack(why)` to the password
 * (`why`: a function that says why, or null). */
export function SecondStep({ answer, username, onSignedIn, onBack }) {
  useLang();
  const methods = answer.second_factor ?? [];
  const passkey = methods.includes('passkey') && answer.webauthn && passkeysSupported();
  const totp = methods.includes('totp');
  const [mode, setMode] = useState(totp ? 'totp' : 'recovery');
  const [busy, setBusy] = useState(null); // 'passkey' or 'code' while one is being checked
  const [error, setError] = useSaid();
  const heading = useRef(null);

  useEffect(() => heading.current?.focus(), []);

  async function finish(proof) {
    const { token, user } = await request('/api/auth/second-factor', {
      method: 'POST',
      body: { challenge: answer.challenge, ...proof },
    });
    onSignedIn(storeSession({ token, user }));
  }

  function refused(failure, describe) {
    setBusy(null);
    // Used, expired (5 minutes) or killed by wrong codes: only the password step makes a new one.
    if (failure?.refusal === 'challenge_invalid') onBack(() => t('account.second.expired'));
    else setError(() => describe(failure));
  }

  async function withPasskey() {
    setBusy('passkey');
    setError(null);
    try {
      const options = answer.webauthn.publicKey ?? answer.webauthn;
      await finish({ passkey: await getPasskey(options) });
    } catch (failure) {
      refused(failure, passkeyTrouble);
    }
  }

  async function withCode(event) {
    event.preventDefault();
    const field = event.currentTarget.elements.code;
    const code = field.value.replace(/\s+/g, '');
    if (!code) {
      setError(() => t(mode === 'totp' ? 'account.second.need_code' : 'account.second.need_recovery'));
      field.focus();
      return;
    }
    setBusy('code');
    setError(null);
    try {
      await finish({ code });
    } catch (failure) {
      refused(failure, explain);
      field.select();
    }
  }

  function switchMode(next) {
    setMode(next);
    setError(null);
  }

  return html`
    <section class="card acct-second" aria-busy=${busy ? 'true' : 'false'}>
      <h2 class="card__heading" tabindex="-1" ref=${heading}>${t('account.second.title')}</h2>
      <p class="acct-muted">${t('account.second.lead', { username })}</p>
      ${passkey && html`
        <button type="button" class="button button--primary button--block acct-big" onClick=${withPasskey} disabled=${Boolean(busy)}>
          ${busy === 'passkey' ? t('account.second.passkey_waiting') : t('account.second.passkey')}
        </button>
        <p class="acct-or"><span>${t('account.second.or')}</span></p>
      `}
      <form class="acct-form" onSubmit=${withCode} noValidate>
        <div class="field">
          <label for="second-code">${t(mode === 'totp' ? 'account.second.code_label' : 'account.second.recovery_label')}</label>
          ${mode === 'totp'
            ? html`<input id="second-code" key="totp" name="code" class="acct-code" inputmode="numeric"
                autocomplete="one-time-code" maxlength="8" aria-describedby="second-code-hint" />`
            : html`<input id="second-code" key="recovery" name="code" class="acct-code acct-code--text" autocomplete="off"
                autocapitalize="none" spellcheck="false" maxlength="40" aria-describedby="second-code-hint" />`}
          <p class="acct-hint" id="second-code-hint">
            ${t(mode === 'totp' ? 'account.second.code_hint' : 'account.second.recovery_hint')}
          </p>
        </div>
        ${error && html`<p class="form-error" role="alert">${error}</p>`}
        <button type="submit" class=${passkey ? 'button button--secondary button--block' : 'button button--primary button--block'}
          disabled=${Boolean(busy)}>
          ${busy === 'code' ? t('account.second.checking') : t('account.second.confirm')}
        </button>
      </form>
      <div class="acct-row">
        ${totp && html`
          <button type="button" class="acct-link" onClick=${() => switchMode(mode === 'totp' ? 'recovery' : 'totp')}>
            ${t(mode === 'totp' ? 'account.second.use_recovery' : 'account.second.use_totp')}
          </button>
        `}
        <button type="button" class="acct-link" onClick=${() => onBack(null)}>${t('account.second.back')}</button>
      </div>
    </section>
  `;
}
