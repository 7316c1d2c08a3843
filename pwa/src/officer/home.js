import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../core/i18n.js';
import { AccountPart } from '../core/ui/account-part.js';
import { useLang } from '../core/use-lang.js';
import { useAlerts } from './alerts.js';
import { directory } from './directory.js';
import { duty } from './duty.js';
import { IncidentScreen } from './incident-screen.js';
import { ListScreen } from './list-screen.js';
import { officer } from './model.js';
import { dropPush } from './push.js';
import { useRoute } from './router.js';

/** Re-render whenever anything about the unit's incidents changes; returns the model. */
export function useOfficer() {
  const [, setVersion] = useState(officer.version);
  useEffect(() => officer.subscribe(setVersion), []);
  return officer;
}

/** The signed-in officer app: the unit's list, one incident, and the work behind both. */
export function OfficerHome({ session, onSignOut, onSession }) {
  useLang();
  const model = useOfficer();
  const route = useRoute();
  const isOfficer = session.user.role === 'officer';

  useEffect(() => {
    // The server ended the session (expired after the shift, revoked): back to sign-in. What
    // is queued stays on the phone and goes once the same officer signs in again; so does what
    // they chose, within the shift (duty.js).
    duty.start(session, { isOfficer, onExpired: onSignOut });
    directory.load(session);
    return () => duty.release(); // nothing left running with a session the frame dropped
  }, [session.token]);

  useEffect(() => scrollTo(0, 0), [route.screen, route.id]);

  const title = `${t('apps.officer.title')} – ${t('common.app_name')}`;
  const alerts = useAlerts(model.list(), session.user.id, title);

  async function signOut() {
    await duty.signOut();
    await dropPush(session);
    await officer.signOut();
    onSignOut();
  }

  if (route.screen === 'account') {
    return html`<${AccountPart} name="AccountScreen" session=${session} onSession=${onSession} back="#/" />`;
  }
  if (route.screen === 'incident') {
    return html`<${IncidentScreen} key=${route.id} id=${route.id} session=${session} alerts=${alerts} />`;
  }
  return html`
    <${ListScreen}
      session=${session}
      alerts=${alerts}
      isOfficer=${isOfficer}
      onSignOut=${signOut}
    />
  `;
}
