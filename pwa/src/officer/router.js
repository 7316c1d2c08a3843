// Screens of the officer app as hash routes (the service worker serves the one /officer/ shell
// offline): #/ the unit's incidents, #/incident/<id> one incident (the link push notices open),
// #/account the officer's password, second factor and sessions.
import { useHashRoute } from '../core/hash-route.js';

export function parseRoute(hash) {
  if (/^#\/account\/?$/.test(hash)) return { screen: 'account' };
  const match = hash.replace(/^#/, '').match(/^\/incident\/([A-Za-z0-9_-]{1,64})$/);
  return match ? { screen: 'incident', id: match[1] } : { screen: 'list' };
}

export const useRoute = () => useHashRoute(parseRoute);
