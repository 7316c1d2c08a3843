import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n.js';
import { applyUpdate, onUpdateReady } from '../sw-bridge.js';

/** Offers the new version; nothing reloads until the user says so. */
export function UpdateBanner() {
  const [ready, setReady] = useState(false);
  useEffect(() => onUpdateReady(() => setReady(true)), []);
  if (!ready) return null;
  return html`
    <div class="update-banner" role="status">
      <span>${t('common.update_available')}</span>
      <button type="button" class="button button--light" onClick=${applyUpdate}>
        ${t('common.update_reload')}
      </button>
    </div>
  `;
}
