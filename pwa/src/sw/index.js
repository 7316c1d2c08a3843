// The service worker: only wiring of events to strategies (see strategies.js, precache.js).
import { deleteOldShells, precache, precacheApp } from './precache.js';
import { onNotificationClick, onPush } from './push.js';
import { cacheFirst, navigation, networkFirst } from './strategies.js';
import { onSync } from './sync-queue.js';

// Not fetched through the worker: live data must never come from a cache by accident, and the
// features that own these paths (sync, media) decide their own offline behaviour.
const PASS_THROUGH = ['/api/', '/sync/', '/media/', '/healthz'];

self.addEventListener('install', (event) => {
  event.waitUntil(precache());
});

self.addEventListener('activate', (event) => {
  // Claim: the first visit's page is controlled without a reload, so it works offline at once.
  event.waitUntil(deleteOldShells().then(() => self.clients.claim()));
});

self.addEventListener('message', (event) => {
  // Sent by the page when the user accepts the "update available" prompt (core/sw-bridge.js).
  if (event.data?.type === 'skip-waiting') self.skipWaiting();
  // Sent by the officer and center pages when they start: their files are not in the install.
  if (event.data?.type === 'precache-app') {
    const done = () => event.ports[0]?.postMessage({ type: 'precached', app: event.data.app });
    event.waitUntil(precacheApp(event.data.app).then(done));
  }
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (PASS_THROUGH.some((prefix) => url.pathname.startsWith(prefix))) return;
  if (request.mode === 'navigate') event.respondWith(navigation(request));
  else if (url.pathname.startsWith('/assets/')) event.respondWith(cacheFirst(request));
  else if (url.pathname.endsWith('.webmanifest')) event.respondWith(networkFirst(request));
});

self.addEventListener('sync', onSync);
self.addEventListener('push', onPush);
self.addEventListener('notificationclick', onNotificationClick);
