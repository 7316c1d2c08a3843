import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../core/i18n.js';

// Chromium offers `beforeinstallprompt` once the app is installable; other browsers install from
// their own menu ("Add to Home Screen"), so nothing is shown there.
let deferred = null;
const listeners = new Set();
addEventListener('beforeinstallprompt', (event) => {
  event.preventDefault(); // shown on our button, not as a banner over someone's emergency
  deferred = event;
  for (const fn of listeners) fn(true);
});
addEventListener('appinstalled', () => {
  deferred = null;
  for (const fn of listeners) fn(false);
});

export function InstallButton() {
  const [available, setAvailable] = useState(deferred !== null);
  useEffect(() => {
    listeners.add(setAvailable);
    return () => listeners.delete(setAvailable);
  }, []);
  if (!available) return null;
  async function install() {
    const prompt = deferred;
    deferred = null;
    setAvailable(false);
    await prompt?.prompt();
  }
  return html`<button type="button" class="button button--secondary install-button" onClick=${install}>
    ${t('citizen.install')}
  </button>`;
}
