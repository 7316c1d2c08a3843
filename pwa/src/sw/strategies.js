// How each kind of request is answered. Kept free of event wiring so each reads on its own.
import { CACHE_NAME, OFFLINE_URL, shellFor } from './precache.js';

// On a slow 3G link a navigation can hang for many seconds; the cached shell is the same version
// the worker installed with, so showing it early loses nothing.
const NAVIGATION_TIMEOUT_MS = 4000;

/**
 * Navigations: network first, so a deploy shows up at once. If the network is slow, the cached
 * shell of the app the path belongs to; if it fails, that shell, then the offline page. Network
 * answers are not written into the precache: a new HTML shell names new assets, which belong to
 * the next version's cache, not this one.
 */
export async function navigation(request) {
  const shell = shellFor(new URL(request.url).pathname);
  const network = fetch(request);
  if (shell && (await settlesWithin(network, NAVIGATION_TIMEOUT_MS)) === false) {
    const early = await cached(shell);
    if (early) return early;
    // No shell in the cache: a slow answer is still better than none, keep waiting.
  }
  try {
    const response = await network;
    // A 5xx (server restarting, a proxy's error page) is worse than the shell we already have.
    if (response.status < 500 || !shell) return response;
    return (await cached(shell)) ?? response;
  } catch {
    return (await cached(shell)) ?? (await cached(OFFLINE_URL)) ?? Response.error();
  }
}

/** Hashed assets never change under their name: any cached copy is the right one. */
export async function cacheFirst(request) {
  const hit = await caches.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  if (response.ok) {
    const cache = await caches.open(CACHE_NAME);
    await cache.put(request, response.clone());
  }
  return response;
}

/** Unhashed files of the shell (manifests): fresh when online, the installed copy when not. */
export async function networkFirst(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const hit = await caches.match(request);
    if (hit) return hit;
    throw error;
  }
}

async function cached(url) {
  if (!url) return undefined;
  const cache = await caches.open(CACHE_NAME);
  return cache.match(url);
}

/** True if `promise` settles (either way) within `ms`, false if it is still pending then. */
function settlesWithin(promise, ms) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, late]).finally(() => clearTimeout(timer));
}
