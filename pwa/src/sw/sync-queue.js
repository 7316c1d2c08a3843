// Background Sync hook. The page registers SYNC_TAG when it has queued writes (reports, status
// updates); the browser fires `sync` once the device is back online, even after the tab was
// closed and reopened. For now the worker tells every open page to flush its queue; the offline
// queue that later issues add in IndexedDB will also be replayed from here when no page is open.
export const SYNC_TAG = 'sos-outbox';

export function onSync(event) {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil(notifyClients({ type: 'sync', tag: event.tag }));
}

export async function notifyClients(message) {
  const clients = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const client of clients) client.postMessage(message);
}
