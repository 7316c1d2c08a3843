// The account chunk's screens: what a restricted session must do first, the set-up link, and the
// account screen both apps open from their menus (#/account).
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { confirmSession } from '../session.js';
import { useLang } from '../use-lang.js';
import { PasskeyAdd } from './passkeys.js';
import { PasswordForm } from './password.js';
import { RecoveryCodes } from './recovery.js';
import { SecondFactorPanel } from './second-factor.js';
import { SessionList } from './sessions.js';
import { t, useSaid } from './strings.js';
import { TotpSetup } from './totp.js';

/** Ask the server for the account as it is now (a scope lifted, new counts): `onSession(fresh)`. */
function refresher(session, onSession) {
  return async () => {
    try {
      onSession(await confirmSession(session)); // null: the server ended the session (sign-in)
    } catch {
      // Offline right after a change: the server has it; the screen catches up at the next check.
    }
  };
}

/**
 * A session of scope "password" or "enrol": that one thing, then the app. `given`: the password
 * typed at this sign-in, if the frame still has it (not asked again for the forced change).
 */
export function RestrictedScreen({ session, given, onSession, onSignOut }) {
  useLang();
  const [codes, setCodes] = useState(null);
  const refresh = refresher(session, onSession);
  const enrolled = (answer) => (answer?.recovery_codes?.length ? setCodes(answer.recovery_codes) : refresh());
  const { user } = session;

  let body;
  if (user.scope === 'password') {
    body = html`
      <h2 class="card__heading">${t('account.forced.title')}</h2>
      <p>${t('account.forced.lead', { username: user.username })}</p>
      <${PasswordForm} session=${session} current=${given} id="forced" onDone=${refresh} />
    `;
  } else if (codes) {
    body = html`
      <h2 class="card__heading">${t('account.enrol.done')}</h2>
      <${RecoveryCodes} codes=${codes} username=${user.username} onClose=${refresh} closeLabel=${t('account.enrol.continue')} />
    `;
  } else {
    body = html`
      <h2 class="card__heading">${t('account.enrol.title')}</h2>
      <p>${t('account.enrol.lead')}</p>
      <section class="acct-choice" aria-labelledby="enrol-passkey">
        <h3 class="acct-subheading" id="enrol-passkey">${t('account.enrol.passkey')}</h3>
        <p class="acct-muted">${t('account.passkey.why')}</p>
        <${PasskeyAdd} session=${session} withName=${false} onAdded=${enrolled} />
      </section>
      <section class="acct-choice" aria-labelledby="enrol-totp">
        <h3 class="acct-subheading" id="enrol-totp">${t('account.enrol.totp')}</h3>
        <p class="acct-muted">${t('account.totp.why')}</p>
        <${TotpSetup} session=${session} onDone=${enrolled} />
      </section>
    `;
  }
  return html`
    <section class="card acct-restricted" data-scope=${user.scope}>
      ${body}
      <button type="button" class="acct-link" onClick=${onSignOut}>${t('account.sign_out_instead')}</button>
    </section>
  `;
}

/** `#/setup/<token>`: an imported account's first password; then the usual sign-in. */
export function SetupScreen({ token, signedIn, onDone }) {
  useLang();
  return html`
    <section class="card acct-setup">
      <h2 class="card__heading">${t('account.setup.title')}</h2>
      <p>${t('account.setup.lead')}</p>
      ${signedIn && html`<p class="notice">${t('account.setup.other_session')}</p>`}
      <${PasswordForm} token=${token} id="setup" submitLabel=${t('account.setup.save')} onDone=${onDone} />
      <a class="acct-link" href="#/">${t('account.setup.cancel')}</a>
    </section>
  `;
}

/** `#/account`: password, second step, sessions. `back`: the link to the app's main screen. */
export function AccountScreen({ session, onSession, back = '#/', wide = false }) {
  useLang();
  const [changing, setChanging] = useState(false);
  const [said, setSaid] = useSaid();
  const refresh = refresher(session, onSession);

  function passwordChanged() {
    setChanging(false);
    setSaid(() => t('account.password.changed'));
    refresh();
  }

  return html`
    <div class=${wide ? 'acct acct--wide' : 'acct'} data-screen="account">
      <div class="acct-head">
        <a class="acct-back" href=${back}><span aria-hidden="true">←</span> ${t('account.back')}</a>
        <h2 class="acct-title">${t('account.title')}</h2>
        <p class="acct-muted">${t('account.who', { username: session.user.username, role: t(`police.roles.${session.user.role}`) })}</p>
      </div>
      <div class="acct-columns">
        <div class="acct-column">
          <${SecondFactorPanel} session=${session} refresh=${refresh} />
        </div>
        <div class="acct-column">
          <section class="card acct-card" aria-labelledby="acct-password-title">
            <h3 class="acct-subheading" id="acct-password-title">${t('account.password.title')}</h3>
            ${said && html`<p class="acct-done" role="status">${said}</p>`}
            ${changing
              ? html`
                  <${PasswordForm} session=${session} id="change" focus=${true} onDone=${passwordChanged} />
                  <button type="button" class="acct-link" onClick=${() => setChanging(false)}>${t('account.cancel')}</button>
                `
              : html`
                  <p class="acct-muted">${t('account.password.why')}</p>
                  <button type="button" class="button button--secondary" onClick=${() => { setChanging(true); setSaid(null); }}>
                    ${t('account.password.change')}
                  </button>
                `}
          </section>
          <section class="card acct-card" aria-labelledby="acct-sessions-title">
            <h3 class="acct-subheading" id="acct-sessions-title">${t('account.sessions.title')}</h3>
            <p class="acct-muted">${t('account.sessions.why')}</p>
            <${SessionList} session=${session} />
          </section>
        </div>
      </div>
    </div>
  `;
}
