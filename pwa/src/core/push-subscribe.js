// Web push on the page side: ask at a sensible moment, subscribe, and keep the server's copy of the
// subscription current. The service worker shows what arrives (sw/push.js).
//
// For the apps:
//   pushState()                 'unsupported' | 'denied' | 'ask' | 'off' | 'on' (sync, cheap)
//   enablePush({ token })       from a user's click ("Bật thông báo"): asks, subscribes, registers.
//                               Police: right after signing in (a banner with that button);
//                               citizens: on the "report sent" screen of their first report.
//   refreshPush({ token })      at every start and after sign-in; never prompts. Re-subscribes when
//                               the browser dropped or rotated the subscription or the server's key
//                               changed, and re-registers when someone else signed in.
//   disablePush({ token })      at sign-out: the server forgets this browser for that person.
// `token` is the police session token or the citizen device token (Bearer). Each resolves to
// `{ state, error? }` and never throws: push is a second channel, nothing must break without it.
//
// One browser has ONE push subscription for the whole origin (the three apps share the service
// worker), so it notifies whoever registered it last on this browser.
import { getLang } from './i18n.js';

const STORE = 'sos.push'; // {endpoint, auth, key, who, at}: what the server was last told
const RESEND_MS = 24 * 3600 * 1000; // re-register daily: the server may have dropped it (410)

const supported = () =>
  typeof window !== 'undefined' &&
  'serviceWorker' in navigator &&
  'PushManager' in window &&
  'Notification' in window;

export function pushState() {
  if (!supported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  if (Notification.permission === 'default') return 'ask';
  return remembered() ? 'on' : 'off';
}

/** Ask for permission (call it from a click: Safari and Firefox refuse a prompt otherwise). */
export async function enablePush({ token } = {}) {
  if (!supported()) return { state: 'unsupported' };
  try {
    const permission = await Notification.requestPermission();
    if (permission !== 'granted') return { state: pushState() };
    await ensure(token, { force: true });
    return { state: 'on' };
  } catch (error) {
    return { state: pushState(), error };
  }
}

/** Keep what the server has in step with the browser; silent, and a no-op without permission. */
export async function refreshPush({ token } = {}) {
  if (!supported() || Notification.permission !== 'granted') return { state: pushState() };
  try {
    await ensure(token, { force: false });
    return { state: 'on' };
  } catch (error) {
    return { state: pushState(), error };
  }
}

/** Forget this browser on the server for this person (sign-out); the browser keeps nothing either. */
export async function disablePush({ token } = {}) {
  const last = remembered();
  forget();
  if (!supported()) return { state: 'unsupported' };
  try {
    const registration = await navigator.serviceWorker.ready;
    const subscription = await registration.pushManager.getSubscription();
    const endpoint = subscription?.endpoint ?? last?.endpoint;
    if (endpoint) await call('DELETE', { endpoint }, token).catch(() => {}); // 404: already gone
    if (subscription) await subscription.unsubscribe();
    return { state: pushState() };
  } catch (error) {
    return { state: pushState(), error };
  }
}

async function ensure(token, { force }) {
  const registration = await navigator.serviceWorker.ready;
  const { public_key: key } = await call('GET', undefined);
  let subscription = await registration.pushManager.getSubscription();
  // A subscription belongs to the server key it was made with; after a key change pushes to it
  // are refused, so it is replaced.
  if (subscription && !sameKey(subscription.options?.applicationServerKey, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  if (!subscription) {
    subscription = await registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: decode(key),
    });
  }
  const json = subscription.toJSON();
  const last = remembered();
  const who = await fingerprint(token);
  const current =
    last && last.endpoint === json.endpoint && last.key === key && last.who === who && Date.now() - last.at < RESEND_MS;
  if (current && !force) return;
  const body = { ...json, lang: getLang() };
  if (last && last.endpoint !== json.endpoint) body.replaces = { endpoint: last.endpoint, auth: last.auth };
  await call('POST', body, token);
  localStorage.setItem(
    STORE,
    JSON.stringify({ endpoint: json.endpoint, auth: json.keys.auth, key, who, at: Date.now() }),
  );
}

async function call(method, body, token) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  const path = method === 'GET' ? '/api/push/key' : '/api/push/subscriptions';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  return response.status === 204 ? null : response.json();
}

function remembered() {
  try {
    return JSON.parse(localStorage.getItem(STORE));
  } catch {
    return null;
  }
}

function forget() {
  localStorage.removeItem(STORE);
}

async function fingerprint(token) {
  if (!token) return 'cookie';
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function decode(base64url) {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const raw = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function sameKey(buffer, base64url) {
  if (!buffer) return true; // browsers that do not expose it: trust the stored record
  const a = new Uint8Array(buffer);
  const b = decode(base64url);
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// The service worker asks a window it cannot navigate itself (not yet controlled) to open a URL
// after a notification click; only same-origin URLs, so a payload can never send anyone away.
if (supported()) {
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.type !== 'open-url') return;
    const url = new URL(event.data.url, location.origin);
    if (url.origin === location.origin && url.href !== location.href) location.assign(url.href);
  });
}
