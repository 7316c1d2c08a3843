// Screens of the officer app as hash routes (the service worker serves the one /officer/ shell
// offline): #/ the unit's incidents, #/incident/<id> one incident (the link push notices open).
import { useHashRoute } from '../core/hash-route.js';

export function parseRoute(hash) {
  const match = hash.replace(/^#/, '').match(/^\/incident\/([A-Za-z0-9_-]{1,64})$/);
  return match ? { screen: 'incident', id: match[1] } : { screen: 'list' };
}

export const useRoute = () => useHashRoute(parseRoute);
