// The one way the maps put their background on: no layer without a tile URL (boundaries and pins
// still show on the plain grid), and `onFailed` told once when tiles stop coming, again only after
// some came back (a network that drops and returns). Imported only by the apps' lazy map chunks,
// beside Leaflet, so it travels in Leaflet's chunk.
import { tileLayer } from 'leaflet/dist/leaflet-src.esm.js';

export function addTiles(map, tileUrl, { onFailed, ...options } = {}) {
  if (!tileUrl) return null;
  let failed = false;
  return tileLayer(tileUrl, { maxZoom: 19, attribution: '© OpenStreetMap', ...options })
    .on('tileerror', () => {
      if (failed) return;
      failed = true;
      onFailed?.();
    })
    .on('tileload', () => {
      failed = false;
    })
    .addTo(map);
}
