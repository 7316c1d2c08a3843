// Issue 16: in the dispatch form, the on-duty officers nearest the incident first, with the
// straight-line distance, a rough travel time at city speed, how old their fix is (said as such:
// "2 phút" alone next to a distance reads as a travel time), and their availability. Picking
// one ticks their unit; the dispatcher may still send any unit at all (the list below).
import { html } from 'htm/preact';
import { unitName } from '../format.js';
import { t } from '../i18n.js';
import { fixAge, isStale, nearest, positionSettings, useUnitPositions } from '../units-live.js';

const SHOWN = 8;

function distanceText(m) {
  return m < 1000 ? t('center.nearest.metres', { n: Math.round(m / 10) * 10 }) : t('center.nearest.km', { n: (m / 1000).toFixed(1) });
}

function etaText(seconds) {
  return t('center.nearest.eta', { n: Math.max(1, Math.round(seconds / 60)) });
}

export function NearestOfficers({ place, units, chosen, active, onPick }) {
  const list = nearest(useUnitPositions(), place).slice(0, SHOWN);
  if (!list.length) return null;
  return html`
    <fieldset class="nearest" data-list="nearest">
      <legend>${t('center.nearest.title')}</legend>
      <ol class="nearest__list">
        ${list.map((row) => {
          const stale = isStale(row);
          const picked = chosen.includes(row.unit) || active.has(row.unit);
          return html`
            <li key=${row.username} data-officer=${row.username} class=${stale ? 'nearest__item nearest__item--stale' : 'nearest__item'}>
              <button type="button" class="nearest__pick" aria-pressed=${picked ? 'true' : 'false'} disabled=${active.has(row.unit)}
                onClick=${() => onPick(row.unit)}>
                <strong>${row.display_name || row.username}</strong>
                <span class="nearest__unit">${unitName(row.unit, units)}</span>
                <span class="nearest__far">${distanceText(row.distance)} · ${etaText(row.eta_s)}</span>
                <span class="nearest__fix">${t(stale ? 'center.nearest.fix_stale' : 'center.nearest.fix', { age: fixAge(row.at) })}</span>
                <span class=${`officer officer--${row.availability}`}>${t(`center.availability.${row.availability}`)}</span>
              </button>
            </li>
          `;
        })}
      </ol>
      <p class="action-form__hint">${t('center.nearest.hint', { speed: positionSettings.speed_kmh })}</p>
    </fieldset>
  `;
}
