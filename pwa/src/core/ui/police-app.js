import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useHashRoute } from '../hash-route.js';
import { t } from '../i18n.js';
import { confirmSession, loadSession, signOut } from '../session.js';
import { useLang } from '../use-lang.js';
import { AccountPart } from './account-part.js';
import { AppBar } from './app-bar.js';
import { LoginForm } from './login-form.js';
import { UpdateBanner } from './update-banner.js';

// A one-time set-up link (an imported account's first password): "/officer/#/setup/<token>",
// "/center/#/setup/<token>". It comes before any session on this device: it is for someone else.
const SETUP = /^#\/setup\/([A-Za-z0-9_-]{8,256})$/;
const setupToken = (hash) => SETUP.exec(hash)?.[1] ?? null;

/**
 * The frame shared by the officer and center apps: sign-in, the stored-session check, then `Home`.
 * `accepts(user)` says whether this app serves that account; if not, `Refused` is shown instead.
 * A session opened for one thing only (`user.scope`: "password", a new password first; "enrol",
 * a second factor first) shows that screen and nothing else until it is done.
 *
 * A stored session is trusted at once and confirmed in the background: in the field the network
 * is often gone, and a police officer must not be locked out of the app by a dead signal. Only
 * the server's explicit 401 sends them back to the sign-in form.
 */
export function PoliceApp({ appKey, accepts, Home, Refused }) {
  const lang = useLang();
  const [session, setSession] = useState(loadSession);
  const [unconfirmed, setUnconfirmed] = useState(false);
  const [afterSetup, setAfterSetup] = useState(null); // the sign-in form's notice after a set-up link
  const setup = useHashRoute(setupToken);
  const given = useRef(null); // the one-time password just typed, for its forced change only
  const title = t(`apps.${appKey}.title`);

  useEffect(() => {
    document.title = `${title} – ${t('common.app_name')}`;
  }, [lang]);

  useEffect(() => {
    if (!session) return undefined;
    let current = true;
    confirmSession(session).then(
      (fresh) => current && setSession(fresh),
      () => current && setUnconfirmed(true),
    );
    return () => {
      current = false;
    };
  }, []);

  function leave() {
    signOut(session); // forget locally at once; the server call may take a while on a weak link
    given.current = null;
    setSession(null);
    setUnconfirmed(false);
  }

  function setupDone() {
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    dispatchEvent(new HashChangeEvent('hashchange'));
    setAfterSetup(() => () => t('police.setup_done'));
  }

  function signedIn(fresh, password) {
    given.current = fresh.user.scope === 'password' ? password : null;
    setSession(fresh);
  }

  let content;
  if (setup) content = html`<${AccountPart} name="SetupScreen" token=${setup} signedIn=${Boolean(session)} onDone=${setupDone} />`;
  else if (!session) content = html`<${LoginForm} onSignedIn=${signedIn} notice=${afterSetup} />`;
  else if (session.user.scope) {
    content = html`<${AccountPart} name="RestrictedScreen" session=${session} given=${given.current} onSession=${setSession} onSignOut=${leave} />`;
  } else if (!accepts(session.user)) content = html`<${Refused} session=${session} onSignOut=${leave} />`;
  else {
    content = html`
      <${Home} session=${session} unconfirmed=${unconfirmed} onSignOut=${leave} onSession=${setSession} />
    `;
  }

  return html`
    <${UpdateBanner} />
    <${AppBar} title=${title} />
    <main class="page page--narrow">${content}</main>
  `;
}
