// Web push: show what the server sent, and open the right screen when the notification is clicked.
//
// Payloads (app/incidents/alerts.py) carry ids and a short title, never a citizen's personal data:
//   {kind, app: 'center'|'officer'|'citizen', incident, category, priority, ward_code, ward,
//    status?, title, body, url, tag, renotify, require_interaction, at}
// `tag` is the same value as the push's Topic: a newer notice about the same incident replaces
// the older one, on the phone as at the push service.
// Public warnings (app/warnings/delivery.py, docs/warnings.md) come the same way:
//   {kind: warning|update|cancel, app: 'citizen', warning, chain, severity, exercise, headline,
//    title, body, url: '/#/warnings/ID', tag (one per chain), renotify, require_interaction, ...}
// so an update or a cancel ("Đã hủy cảnh báo: …") replaces the earlier notice of its chain.
import { NOTIFICATION_ICON } from 'sw-manifest';

// The three apps share this worker (one origin, scope "/"): a click belongs to the app of its URL.
const APP_BASES = ['/center/', '/officer/'];

const WARNING_KINDS = new Set(['warning', 'update', 'cancel']);

export function onPush(event) {
  const payload = readPayload(event);
  event.waitUntil(Promise.all([showNotice(payload), tellPages(payload)]));
}

/** An open citizen page shows the warning at once (it asks the server for the list again). */
async function tellPages(payload) {
  if (payload.app !== 'citizen' || !WARNING_KINDS.has(payload.kind)) return;
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const client of windows) {
    if (appBase(new URL(client.url).pathname) === '/') {
      client.postMessage({ type: 'warning-push', kind: payload.kind, warning: payload.warning });
    }
  }
}

export function onNotificationClick(event) {
  event.notification.close();
  event.waitUntil(openNotice(event.notification));
}

// Wired here rather than in index.js (owned elsewhere); index.js wires push and notificationclick.
self.addEventListener('message', onPushMessage);
self.addEventListener('pushsubscriptionchange', (event) => event.waitUntil(resubscribe(event)));

/**
 * The browser rotated (or expired) the subscription while no page may be open: subscribe again
 * and tell the server. The worker has no credential; the old subscription's auth secret, which
 * only this browser and the server know, proves the new one is its successor. Without the old one
 * (some browsers give none) the page re-registers at its next start (core/push-subscribe.js).
 */
async function resubscribe(event) {
  const old = event.oldSubscription;
  if (!old) return;
  const fresh = event.newSubscription ?? (await self.registration.pushManager.subscribe(old.options));
  const body = { ...fresh.toJSON(), replaces: { endpoint: old.endpoint, auth: base64url(old.getKey('auth')) } };
  await fetch('/api/push/subscriptions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    credentials: 'omit',
  });
}

function base64url(buffer) {
  return btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

/**
 * Messages from the apps' pages. `open-notification` runs the click path for the notification
 * with that tag: headless browsers cannot click a system notification, so the browser tests use
 * it (from a real click in the page, which gives the worker the same right to focus and open
 * windows). It opens nothing a page could not open itself.
 */
export function onPushMessage(event) {
  if (event.data?.type !== 'open-notification' || typeof event.data.tag !== 'string') return;
  event.waitUntil(
    self.registration.getNotifications({ tag: event.data.tag }).then(async (notices) => {
      for (const notice of notices) {
        notice.close();
        await openNotice(notice);
      }
    }),
  );
}

export function showNotice(payload) {
  const tag = typeof payload.tag === 'string' && payload.tag ? payload.tag : undefined;
  const options = {
    body: payload.body || '',
    icon: NOTIFICATION_ICON,
    tag,
    // A P1 alert that replaces an earlier one about the same incident must still ring.
    renotify: Boolean(tag && payload.renotify),
    // A dispatcher's new report and an officer's dispatch stay on screen until acted upon.
    requireInteraction: Boolean(payload.require_interaction),
    // A silent report's news (issue 29): no sound, no vibration, whatever the phone's settings.
    silent: payload.silent === true,
    data: { url: sameOrigin(payload.url), app: payload.app, incident: payload.incident, warning: payload.warning },
  };
  if (Number.isFinite(payload.at)) options.timestamp = payload.at;
  return self.registration.showNotification(payload.title || 'SOS ANTT', options);
}

/**
 * Focus a window of the notification's app and show the incident in it, or open a new window.
 * A window of another app (the citizen page, the officer app) is left alone.
 */
export async function openNotice(notification) {
  const url = sameOrigin(notification.data?.url);
  const app = appBase(new URL(url).pathname);
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const ours = windows.filter((client) => appBase(new URL(client.url).pathname) === app);
  const best = ours.find((c) => c.focused) ?? ours.find((c) => c.visibilityState === 'visible') ?? ours[0];
  if (!best) return self.clients.openWindow(url);
  // Focus first: the right to do it comes with the click and does not last.
  const focused = (await best.focus().catch(() => null)) ?? best;
  if (focused.url === url) return focused;
  // Only a window this worker controls may be navigated from here; a hash change does not
  // reload the app. Others are asked to go there themselves (core/push-subscribe.js listens).
  if (self.registration.active && focused.navigate) {
    const controlled = await self.clients.get(focused.id);
    if (controlled) {
      try {
        return (await focused.navigate(url)) ?? focused;
      } catch {
        // not controlled after all: fall through to the message
      }
    }
  }
  focused.postMessage({ type: 'open-url', url });
  return focused;
}

function readPayload(event) {
  if (!event.data) return {};
  try {
    const payload = event.data.json();
    return payload && typeof payload === 'object' ? payload : {};
  } catch {
    return { body: event.data.text() };
  }
}

/** Only our own pages: a URL from a payload never sends anyone to another site. */
function sameOrigin(url) {
  try {
    const target = new URL(url || '/', self.location.origin);
    return target.origin === self.location.origin ? target.href : `${self.location.origin}/`;
  } catch {
    return `${self.location.origin}/`;
  }
}

function appBase(pathname) {
  return APP_BASES.find((base) => pathname === base.slice(0, -1) || pathname.startsWith(base)) ?? '/';
}
