import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { t } from '../../core/i18n.js';
import { MapPicker } from './map-picker.js';

const POOR_ACCURACY_M = 100;

/** The location of the report in words (always), and the map to adjust it (on request). */
export function LocationCard({ location }) {
  const [showMap, setShowMap] = useState(false);
  const { state, position } = location;
  const missing = ['denied', 'unavailable', 'timeout', 'unsupported'].includes(state);

  let message;
  let tone = 'info';
  if (state === 'locating') message = t('citizen.location.locating');
  else if (state === 'found') {
    const m = Math.max(1, Math.round(position.accuracy));
    if (m > POOR_ACCURACY_M) {
      message = t('citizen.location.found_poor', { m });
      tone = 'warn';
    } else {
      message = t('citizen.location.found', { m });
      tone = 'ok';
    }
  } else if (state === 'placed') {
    message = t('citizen.location.placed');
    tone = 'ok';
  } else {
    message = t(`citizen.location.${state}`);
    tone = 'warn';
  }

  return html`
    <section class="card location" aria-labelledby="location-heading">
      <h2 class="card__heading" id="location-heading">${t('citizen.location.heading')}</h2>
      <p class=${`location__state location__state--${tone}`} role="status" data-state=${state}>
        <span class="location__icon" aria-hidden="true">${tone === 'ok' ? '✓' : tone === 'warn' ? '!' : '…'}</span>
        <span>${message}</span>
      </p>
      <div class="actions">
        ${(missing || state === 'placed') &&
        state !== 'unsupported' &&
        html`<button type="button" class="button button--secondary" onClick=${location.retry}>
          ${state === 'placed' ? t('citizen.location.use_gps') : t('citizen.location.retry')}
        </button>`}
        <button
          type="button"
          class="button button--secondary"
          aria-expanded=${showMap ? 'true' : 'false'}
          onClick=${() => setShowMap(!showMap)}
        >
          ${showMap ? t('citizen.location.hide_map') : position ? t('citizen.location.adjust') : t('citizen.location.choose')}
        </button>
      </div>
      ${showMap &&
      html`<${MapPicker}
        position=${position}
        onPlace=${({ lat, lon }) => location.place(lat, lon)}
      />`}
    </section>
  `;
}
