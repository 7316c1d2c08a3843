// Issue 29: a silent report. The person cannot speak or be heard using a phone: a banner says so
// (no call-back: a ringing phone could give them away), and while they share their live location
// the report document's `track` arrives live over the report's socket: the latest fix with its age
// and accuracy, and the trail drawn small (oldest to newest) in the panel and on the map.
import { html } from 'htm/preact';
import { TrailSvg } from '../../../core/ui/trail-svg.js';
import { coordinates, metres, spoken } from '../format.js';
import { t } from '../i18n.js';

export const isSilent = (report) => report?.silent === true;

export function latestFix(report) {
  const track = Array.isArray(report?.track) ? report.track : [];
  return track.length ? track[track.length - 1] : null;
}

/** Where to look for the nearest officers: the latest fix of a silent report, else the report's. */
export function placeOf(info, report) {
  const fix = isSilent(report) ? latestFix(report) : null;
  return fix && info ? { ...info, lat: fix.lat, lon: fix.lon } : info;
}

export function SilentSection({ report, now }) {
  if (!isSilent(report)) return null;
  const track = Array.isArray(report.track) ? report.track : [];
  const fix = latestFix(report);
  return html`
    <section class="section silent-trail" aria-labelledby="silent-title" data-silent-trail data-fixes=${track.length}>
      <p class="silent-trail__banner" id="silent-title" role="note">
        <strong>${t('center.silent.banner')}</strong> ${t('center.silent.no_call')}
      </p>
      ${fix
        ? html`
            <p class="silent-trail__latest" data-latest-fix=${`${fix.lat},${fix.lon}`}>
              ${t('center.silent.latest', { where: coordinates(fix.lat, fix.lon), accuracy: metres(fix.accuracy), age: spoken(Math.max(0, now - fix.at)) })}
            </p>
            <${TrailSvg} track=${track} label=${t('center.silent.trail', { n: track.length })}
              className="silent-trail__map" dotClass="silent-trail__now" />
          `
        : html`<p class="muted">${t('center.silent.no_track')}</p>`}
    </section>
  `;
}
