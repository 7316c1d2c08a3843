// The officer's screens load on demand (main.js), so the service worker's precache does not hold
// them. Once the worker controls this page, what the page loaded from /assets/ is requested again
// through it: its cache then holds the screens for the next start with no signal. The page is
// marked `data-offline="ready"` when that is done after the screens themselves have loaded, and
// the worker holds the app's shell.
import { appPrecached } from '../core/sw-bridge.js';

const warmed = new Set();

function controlled() {
  if (navigator.serviceWorker.controller) return Promise.resolve();
  return new Promise((resolve) => navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }));
}

export function warmCache(final = false) {
  if (!('serviceWorker' in navigator)) return;
  controlled().then(async () => {
    const urls = performance
      .getEntriesByType('resource')
      .map((entry) => entry.name)
      .filter((url) => url.startsWith(`${location.origin}/assets/`) && !warmed.has(url));
    await Promise.all(
      urls.map((url) =>
        fetch(url).then(
          (response) => response.ok && warmed.add(url),
          () => {},
        ),
      ),
    );
    if (!final) return;
    await appPrecached(); // the shell itself, which the worker keeps when asked (sw-bridge.js)
    document.documentElement.dataset.offline = 'ready';
  });
}
