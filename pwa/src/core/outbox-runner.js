// The page side of the offline queue: when to send. Immediately after something is queued, on
// every app start, when the browser says it is back online, when the app comes to the front, at
// the time a 429's Retry-After or a server error's backoff names, and, where the browser has
// Background Sync, from the service worker even after every tab is closed (sw/sync-queue.js).
import { CHANNEL, flush, release, SYNC_TAG } from './outbox.js';

let timer = null;
let running = null;
let again = false;
const listeners = new Set();

/** `fn(message)` for every change of the queue, made here, in another tab or in the worker. */
export function onOutboxChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function tell(message) {
  for (const fn of listeners) fn(message);
}

export function startOutbox() {
  if (typeof BroadcastChannel !== 'undefined') {
    new BroadcastChannel(CHANNEL).onmessage = (event) => tell(event.data);
  }
  addEventListener('online', () => kick());
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'visible') kick();
  });
  // A refusal waits for the user, but not forever: a new start may meet a fixed server.
  release().then(kick, kick);
}

/** Send what is due now; overlapping calls collapse into one more run. */
export function kick() {
  if (running) {
    again = true;
    return running;
  }
  clearTimeout(timer);
  timer = null;
  running = flush()
    .then((summary) => {
      schedule(summary);
      tell({ type: 'flushed', summary });
      return summary;
    })
    .catch((error) => {
      console.warn('outbox flush failed', error);
      return null;
    })
    .finally(() => {
      running = null;
      if (again) {
        again = false;
        kick();
      }
    });
  return running;
}

// No answer although the browser believes it is online (a captive portal, a dead 3G cell, the
// server restarting): no `online` event will come, so try again after a while.
const NO_ANSWER_RETRY_MS = 30_000;

function schedule(summary) {
  if (!summary.waiting) return;
  registerBackgroundSync();
  let at = summary.next_at;
  if (summary.offline) {
    if (!navigator.onLine) return; // the `online` event (or the worker) resumes
    at = at ? Math.min(at, Date.now() + NO_ANSWER_RETRY_MS) : Date.now() + NO_ANSWER_RETRY_MS;
  }
  if (!at) return;
  timer = setTimeout(kick, Math.max(1000, at - Date.now()));
}

/** Ask the browser to wake the worker when there is a network, even with no tab open. */
export function registerBackgroundSync() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.ready
    .then((registration) => registration.sync?.register(SYNC_TAG))
    .catch(() => {
      // Not allowed here (no Background Sync permission): app start and `online` still send.
    });
}
