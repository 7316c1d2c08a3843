// What the app shell is, and the cache that holds it. `sw-manifest` is written by the build: the
// list of every built file and a VERSION hashed from their contents, so the cache name changes
// exactly when an asset does.
import { OFFLINE_URL, SHELLS, URLS, VERSION } from 'sw-manifest';

const PREFIX = 'sos-shell-';
export const CACHE_NAME = `${PREFIX}${VERSION}`;
export { OFFLINE_URL };

export async function precache() {
  const cache = await caches.open(CACHE_NAME);
  // Hashed assets may come from the HTTP cache (they never change); everything else is
  // revalidated, or a stale shell could be stored under the new version's name.
  const requests = URLS.map((url) =>
    url.startsWith('/assets/') ? new Request(url) : new Request(url, { cache: 'no-cache' }),
  );
  await cache.addAll(requests);
}

/** Delete shells of earlier versions. Caches under other names belong to other features. */
export async function deleteOldShells() {
  const names = await caches.keys();
  await Promise.all(
    names.filter((name) => name.startsWith(PREFIX) && name !== CACHE_NAME).map((n) => caches.delete(n)),
  );
}

/**
 * The URL of the app shell for a path, or null if the path is not an app page. `/officer/…` and
 * `/center/…` are client-side routes of their apps; the citizen app lives at `/` alone.
 */
export function shellFor(pathname) {
  for (const base of SHELLS) {
    if (base === '/' ? pathname === '/' : pathname === base.slice(0, -1) || pathname.startsWith(base)) {
      return base;
    }
  }
  return null;
}
