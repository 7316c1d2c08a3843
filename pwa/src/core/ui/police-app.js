import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { confirmSession, loadSession, signOut } from '../session.js';
import { useLang } from '../use-lang.js';
import { AppBar } from './app-bar.js';
import { LoginForm } from './login-form.js';
import { UpdateBanner } from './update-banner.js';

/**
 * The frame shared by the officer and center apps: sign-in, the stored-session check, then `Home`.
 * `accepts(user)` says whether this app serves that account; if not, `Refused` is shown instead.
 *
 * A stored session is trusted at once and confirmed in the background: in the field the network
 * is often gone, and a police officer must not be locked out of the app by a dead signal. Only
 * the server's explicit 401 sends them back to the sign-in form.
 */
export function PoliceApp({ appKey, accepts, Home, Refused }) {
  const lang = useLang();
  const [session, setSession] = useState(loadSession);
  const [unconfirmed, setUnconfirmed] = useState(false);
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
    setSession(null);
    setUnconfirmed(false);
  }

  let content;
  if (!session) content = html`<${LoginForm} onSignedIn=${setSession} />`;
  else if (!accepts(session.user)) content = html`<${Refused} session=${session} onSignOut=${leave} />`;
  else content = html`<${Home} session=${session} unconfirmed=${unconfirmed} onSignOut=${leave} />`;

  return html`
    <${UpdateBanner} />
    <${AppBar} title=${title} />
    <main class="page page--narrow">${content}</main>
  `;
}
