import { html } from 'htm/preact';
import { t } from '../core/i18n.js';

// Vietnam's national emergency numbers. A report is not a substitute for a call when a life is at
// stake, so the numbers stay on screen, one tap away, online or not.
const NUMBERS = [
  { number: '113', key: 'police' },
  { number: '114', key: 'fire' },
  { number: '115', key: 'ambulance' },
];

export function EmergencyNumbers() {
  return html`
    <section class="emergency" aria-labelledby="emergency-heading">
      <h2 class="emergency__heading" id="emergency-heading">${t('emergency.heading')}</h2>
      <ul class="emergency__list">
        ${NUMBERS.map(
          ({ number, key }) => html`
            <li key=${number}>
              <a class="emergency__call" href=${`tel:${number}`}>
                <span class="emergency__number">${number}</span>
                <span class="emergency__service">${t(`emergency.${key}`)}</span>
              </a>
            </li>
          `,
        )}
      </ul>
    </section>
  `;
}
