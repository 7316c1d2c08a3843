// Screens of the officer app as hash routes (the service worker serves the one /officer/ shell
// offline): #/ the unit's incidents, #/incident/<id> one incident (the link push notices open).
import { useEffect, useState } from 'preact/hooks';

export function parseRoute(hash) {
  const match = hash.replace(/^#/, '').match(/^\/incident\/([A-Za-z0-9_-]{1,64})$/);
  return match ? { screen: 'incident', id: match[1] } : { screen: 'list' };
}

export function useRoute() {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
