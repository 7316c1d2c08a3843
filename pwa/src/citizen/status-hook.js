// The hook for "the status of one of my reports changed" (received, in progress, done, not
// handled). The app calls `onStatusChange` whenever it sees a reply document move to a new status
// (live, or on opening after being closed); listeners decide what to do with it. Today the screen
// announces it in its live region; the web push issue adds a system notification here when the
// page is open, and shows the same from the service worker's push handler (sw/push.js) when not.
const listeners = new Set();

/** Listen for status changes: `fn(report, status, previous)`; returns the unsubscribe function. */
export function listenStatusChanges(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Called by the reports model, once per change, with the report's view and its new status. */
export function onStatusChange(report, status, previous) {
  for (const fn of listeners) {
    try {
      fn(report, status, previous);
    } catch (error) {
      console.error('status change listener failed', error);
    }
  }
}
