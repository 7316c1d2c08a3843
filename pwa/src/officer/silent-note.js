// Issue 29: a silent report on the assigned officer's phone. The person cannot speak: no call
// (the call button is not drawn), and while they share their live location the place to go is
// their latest fix, with its age and accuracy, and the trail that led there; the navigate buttons
// lead to the latest fix.
import { html } from 'htm/preact';
import { TrailSvg } from '../core/ui/trail-svg.js';
import { t } from './strings.js';
import { age, metres } from './format.js';

/** The latest fix of a silent report's live location, or null. */
export const latestFix = (view) => (view.silent && view.track.length ? view.track[view.track.length - 1] : null);

export function SilentNote({ view, now }) {
  if (!view.silent) return null;
  const fix = latestFix(view);
  return html`
    <section class="card o-silent" aria-labelledby="silent-heading" data-silent data-fixes=${view.track.length}>
      <h2 class="card__heading" id="silent-heading">${t('officer.silent.heading')}</h2>
      <p>${t('officer.silent.no_call')}</p>
      ${fix
        ? html`<p data-latest-fix=${`${fix.lat},${fix.lon}`}>
            ${t('officer.silent.latest', { n: view.track.length, age: age(Math.max(0, now - fix.at)), accuracy: metres(fix.accuracy) })}
          </p>
          <${TrailSvg} track=${view.track} label=${t('officer.silent.trail', { n: view.track.length })}
            className="o-silent__trail" dotClass="o-silent__now" />`
        : html`<p class="o-muted">${t('officer.silent.no_track')}</p>`}
    </section>
  `;
}
