// The page side of the service worker: registration, the "update available" prompt, and messages.
//
// A new worker waits until the user agrees to reload, so a page never runs against assets of a
// different version mid-task (a half-typed report must not vanish under someone's thumb).

const updateListeners = new Set();
let waitingWorker = null;

/**
 * `app` is the app key of the page. The worker installs with the citizen app's files only, so
 * any other app asks it to keep its own files too (sw/precache.js).
 */
export function registerServiceWorker(app = 'citizen') {
  if (!('serviceWorker' in navigator)) return;
  const register = () =>
    navigator.serviceWorker
      .register('/sw.js', { scope: '/' })
      .then((registration) => {
        watch(registration);
        appPrecached();
        if (app === 'citizen') markAppStored(); // the install itself holds the citizen app
        else askToPrecache(app);
      })
      .catch((error) => console.warn('service worker registration failed', error));
  // After `load`: the precache download must not compete with the first paint on a slow link.
  if (document.readyState === 'complete') register();
  else addEventListener('load', register, { once: true });
}

let appStored = null;
let markAppStored;

/** Resolves once the worker holds this app's own files (at once for the citizen app). */
export function appPrecached() {
  if (!appStored) appStored = new Promise((resolve) => (markAppStored = resolve));
  return appStored;
}

function askToPrecache(app) {
  navigator.serviceWorker.ready.then((registration) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => markAppStored();
    registration.active?.postMessage({ type: 'precache-app', app }, [channel.port2]);
  });
}

function watch(registration) {
  // Waiting already: an earlier visit downloaded an update that has not been applied yet.
  if (registration.waiting && navigator.serviceWorker.controller) announce(registration.waiting);
  registration.addEventListener('updatefound', () => {
    const incoming = registration.installing;
    incoming?.addEventListener('statechange', () => {
      // Without a controller this is the very first install, not an update: nothing to reload into.
      if (incoming.state === 'installed' && navigator.serviceWorker.controller) announce(incoming);
    });
  });
  // Long-lived tabs (a dispatcher's screen stays open all shift) would otherwise only learn about
  // a new version on their next navigation.
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') registration.update().catch(() => {});
  });
}

function announce(worker) {
  waitingWorker = worker;
  for (const fn of updateListeners) fn();
}

/** Call `fn()` when an update is ready to apply; returns the unsubscribe function. */
export function onUpdateReady(fn) {
  updateListeners.add(fn);
  if (waitingWorker) fn();
  return () => updateListeners.delete(fn);
}

/** Activate the waiting worker, then reload once it has taken over. */
export function applyUpdate() {
  if (!waitingWorker) return;
  navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), {
    once: true,
  });
  waitingWorker.postMessage({ type: 'skip-waiting' });
}

/** Call `fn(data)` for messages of `type` from the service worker (e.g. `sync`). */
export function onWorkerMessage(type, fn) {
  if (!('serviceWorker' in navigator)) return () => {};
  const listener = (event) => {
    if (event.data?.type === type) fn(event.data);
  };
  navigator.serviceWorker.addEventListener('message', listener);
  return () => navigator.serviceWorker.removeEventListener('message', listener);
}
