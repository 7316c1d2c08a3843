// Web push hook. Payloads carry ids and a short title, never a citizen's personal data (DESIGN §6):
// `{title, body?, url?, tag?}`. A click focuses an open window of the app, or opens the URL.
import { NOTIFICATION_ICON } from 'sw-manifest';

export function onPush(event) {
  const payload = readPayload(event);
  const title = payload.title || 'SOS ANTT';
  event.waitUntil(
    self.registration.showNotification(title, {
      body: payload.body || '',
      tag: payload.tag, // same tag replaces the earlier notice instead of stacking up
      icon: NOTIFICATION_ICON,
      data: { url: payload.url || '/' },
    }),
  );
}

export function onNotificationClick(event) {
  event.notification.close();
  const target = new URL(event.notification.data?.url || '/', self.location.origin);
  event.waitUntil(focusOrOpen(target.href));
}

function readPayload(event) {
  if (!event.data) return {};
  try {
    return event.data.json();
  } catch {
    return { body: event.data.text() };
  }
}

async function focusOrOpen(url) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const exact = windows.find((client) => client.url === url);
  if (exact) return exact.focus();
  return self.clients.openWindow(url);
}
