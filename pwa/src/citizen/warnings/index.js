// The warnings chunk (see entry.js): the model and its three screens.
import { html } from 'htm/preact';
import { AreasScreen } from './areas-screen.js';
import { WarningScreen } from './detail-screen.js';
import { WarningsListScreen } from './list-screen.js';

export { warnings } from './model.js';

// Lazily loaded chunks are cached by the service worker when fetched through it. On a first
// visit this one came before the worker took control: fetched again once it has, so that the
// warnings open offline from then on (the map's Leaflet comes on first use; the area is in words).
if ('serviceWorker' in navigator && !navigator.serviceWorker.controller) {
  navigator.serviceWorker.addEventListener('controllerchange', () => fetch(import.meta.url).catch(() => {}), { once: true });
}

export function WarningsScreens({ route }) {
  if (route.screen === 'warning-areas') return html`<${AreasScreen} />`;
  if (route.screen === 'warning') return html`<${WarningScreen} id=${route.id} key=${route.id} />`;
  return html`<${WarningsListScreen} />`;
}
