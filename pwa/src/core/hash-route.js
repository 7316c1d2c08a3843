// The apps' screens are hash routes ("/#/…"): the service worker serves one shell per app offline,
// and no screen needs a server route.
import { useEffect, useState } from 'preact/hooks';

/** The current route, `parse(location.hash)`, followed as the hash changes. */
export function useHashRoute(parse) {
  const [route, setRoute] = useState(() => parse(location.hash));
  useEffect(() => {
    const update = () => setRoute(parse(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}
