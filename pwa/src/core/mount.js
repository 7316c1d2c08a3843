// Start an app: render its root into #app, register the service worker, refresh the config.
import { render } from 'preact';
import { html } from 'htm/preact';
import { getConfig } from './config.js';
import { registerServiceWorker } from './sw-bridge.js';

/** `app`: the app key (`citizen`, `officer`, `center`), for what the service worker keeps. */
export function mount(Root, app = 'citizen') {
  const container = document.getElementById('app');
  container.textContent = ''; // drop the <noscript> fallback before Preact takes over
  render(html`<${Root} />`, container);
  registerServiceWorker(app);
  getConfig(); // the city's time zone and the rest, fresh for this start (remembered for offline)
}
