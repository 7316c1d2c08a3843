// A live location's trail drawn small, oldest to newest, with the latest fix as a dot: no map tiles
// needed (a silent report's panel on the console, and the assigned officer's phone). North is up;
// a short trail is not blown up past about 1 m per pixel, so a person standing still stays a dot.
import { html } from 'htm/preact';

const W = 240;
const H = 120;
const PAD = 8;
const M_PER_DEG = 111_195;

/** The fixes ({lat, lon}) as SVG points fitted to the box. */
export function fitted(track) {
  const lats = track.map((f) => f.lat);
  const lons = track.map((f) => f.lon);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  const kx = M_PER_DEG * Math.cos((midLat * Math.PI) / 180);
  const spanX = Math.max((Math.max(...lons) - Math.min(...lons)) * kx, 1);
  const spanY = Math.max((Math.max(...lats) - Math.min(...lats)) * M_PER_DEG, 1);
  const scale = Math.min((W - 2 * PAD) / spanX, (H - 2 * PAD) / spanY, 1);
  const x0 = (Math.min(...lons) + Math.max(...lons)) / 2;
  return track.map((f) => [
    Math.round(W / 2 + (f.lon - x0) * kx * scale),
    Math.round(H / 2 - (f.lat - midLat) * M_PER_DEG * scale),
  ]);
}

/** `track`: at least one fix. `label` says what it is to a screen reader. */
export function TrailSvg({ track, label, className, dotClass }) {
  const points = fitted(track);
  const last = points[points.length - 1];
  return html`
    <svg class=${className} viewBox=${`0 0 ${W} ${H}`} role="img" aria-label=${label} data-trail-points=${points.length}>
      <polyline points=${points.map((p) => p.join(',')).join(' ')} fill="none" stroke="currentColor" stroke-width="2" />
      <circle cx=${last[0]} cy=${last[1]} r="5" class=${dotClass} />
    </svg>
  `;
}
