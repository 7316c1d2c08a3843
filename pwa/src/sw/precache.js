// What the app shell is, and the cache that holds it. `sw-manifest` is written by the build: one
// list of files per app, the files every app needs offline, and a VERSION hashed from their
// contents, so the cache name changes exactly when an asset does.
//
// The worker installs with the citizen app's files only (a citizen's phone never downloads the
// police apps); the officer and center apps ask for theirs when they are opened (`precacheApp`),
// and a new version precaches again every app the previous one held.
import { APP_URLS, COMMON_URLS, INSTALL_APP, OFFLINE_URL, SHELLS, VERSION } from 'sw-manifest';

const PREFIX = 'sos-shell-';
export const CACHE_NAME = `${PREFIX}${VERSION}`;
export { OFFLINE_URL };

export async function precache() {
  const apps = new Set([INSTALL_APP, ...(await appsHeldBefore())]);
  await addAll([...COMMON_URLS, ...[...apps].flatMap((app) => APP_URLS[app])]);
}

/** Put one app's files in the current cache (asked by that app's page, see core/sw-bridge.js). */
export async function precacheApp(app) {
  if (!Object.hasOwn(APP_URLS, app)) return;
  const cache = await caches.open(CACHE_NAME);
  if (await cache.match(APP_URLS[app][0])) return; // its shell is there: the rest came with it
  await addAll(APP_URLS[app]);
}

async function addAll(urls) {
  const cache = await caches.open(CACHE_NAME);
  // Hashed assets may come from the HTTP cache (they never change); everything else is
  // revalidated, or a stale shell could be stored under the new version's name.
  const requests = [...new Set(urls)].map((url) =>
    url.startsWith('/assets/') ? new Request(url) : new Request(url, { cache: 'no-cache' }),
  );
  await cache.addAll(requests);
}

/** The apps whose shell an earlier version's cache holds: an officer's update stays offline-ready. */
async function appsHeldBefore() {
  const names = (await caches.keys()).filter((name) => name.startsWith(PREFIX) && name !== CACHE_NAME);
  const held = new Set();
  for (const name of names) {
    const cache = await caches.open(name);
    for (const [app, urls] of Object.entries(APP_URLS)) {
      if (await cache.match(urls[0])) held.add(app);
    }
  }
  return held;
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
