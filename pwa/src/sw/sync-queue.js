// Background Sync: the browser wakes the worker with SYNC_TAG once the device is back online,
// even when no tab of the app is open (the page registers the tag when it has queued writes).
// The worker sends the queue itself: the outbox in IndexedDB holds each document's pending state
// as ready-made y-protocols bytes and the device token, so no Yjs and no page are needed here.
import { flush, SYNC_TAG } from '../core/outbox.js';

export { SYNC_TAG };

export function onSync(event) {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(replay());
}

async function replay() {
  const summary = await flush();
  await notifyClients({ type: 'sync', tag: SYNC_TAG, summary });
  // Still waiting (no answer, a server error, a Retry-After): a rejected sync event is one the
  // browser fires again later, with its own backoff. Refusals wait for the user, not for this.
  if (summary.waiting) throw new Error(`${summary.waiting} document(s) still to send`);
}

export async function notifyClients(message) {
  const clients = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const client of clients) client.postMessage(message);
}
