// Issue 29: a silent report. The person cannot speak or be heard using a phone: a banner says so
// (no call-back: a ringing phone could give them away), and while they share their live location
// the report document's `track` arrives live over the report's socket: the latest fix with its age
// and accuracy, and the trail drawn small (oldest to newest) in the panel and on the map.
import { html } from 'htm/preact';
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

const W = 240;
const H = 120;
const PAD = 8;

/** The trail as SVG points, fitted to the box (north up; a small trail is not blown up past ~1 m/px). */
function fitted(track) {
  const lats = track.map((f) => f.lat);
  const lons = track.map((f) => f.lon);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const kx = 111_195 * Math.cos((midLat * Math.PI) / 180);
  const spanX = Math.max((Math.max(...lons) - Math.min(...lons)) * kx, 1);
  const spanY = Math.max((Math.max(...lats) - Math.min(...lats)) * 111_195, 1);
  const scale = Math.min((W - 2 * PAD) / spanX, (H - 2 * PAD) / spanY, 1);
  const x0 = (Math.min(...lons) + Math.max(...lons)) / 2;
  const y0 = midLat;
  return track.map((f) => [
    Math.round(W / 2 + (f.lon - x0) * kx * scale),
    Math.round(H / 2 - (f.lat - y0) * 111_195 * scale),
  ]);
}

export function SilentSection({ report, now }) {
  if (!isSilent(report)) return null;
  const track = Array.isArray(report.track) ? report.track : [];
  const fix = latestFix(report);
  const points = track.length ? fitted(track) : [];
  const last = points[points.length - 1];
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
            <svg class="silent-trail__map" viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${t('center.silent.trail', { n: track.length })}>
              <polyline points=${points.map((p) => p.join(',')).join(' ')} fill="none" stroke="currentColor" stroke-width="2" />
              <circle cx=${last[0]} cy=${last[1]} r="5" class="silent-trail__now" />
            </svg>
          `
        : html`<p class="muted">${t('center.silent.no_track')}</p>`}
    </section>
  `;
}
