// The incident's place on a small map, loaded only when an incident is opened (Leaflet is larger
// than the rest of the officer app). Without tiles (none configured, or no signal) it still shows
// the pin and the officer's own position on a plain background.
import { circleMarker, divIcon, latLngBounds, map as leafletMap, marker } from 'leaflet/dist/leaflet-src.esm.js';
import { addTiles } from '../../core/map-tiles.js';

const STREET_ZOOM = 16;

export function mountIncidentMap(element, { where, position, tileUrl, labels }) {
  const at = [where.lat, where.lon];
  const map = leafletMap(element, { center: at, zoom: STREET_ZOOM, attributionControl: Boolean(tileUrl) });
  map.attributionControl?.setPrefix(false);
  addTiles(map, tileUrl);
  marker(at, {
    keyboard: false,
    title: labels.incident,
    alt: labels.incident,
    icon: divIcon({ className: 'o-pin', html: '<span class="o-pin__head"></span>', iconSize: [36, 44], iconAnchor: [18, 42] }),
  }).addTo(map);
  let me = null;
  const showMe = (next) => {
    if (!next) return;
    const here = [next.lat, next.lon];
    if (me) {
      me.setLatLng(here);
      return;
    }
    me = circleMarker(here, { radius: 9, color: '#ffffff', weight: 3, fillColor: '#0b57d0', fillOpacity: 1 }).addTo(map);
    me.bindTooltip(labels.me);
    // Both in view, unless the officer is far away (then the incident matters, not the city).
    const bounds = latLngBounds([at, here]);
    if (map.distance(at, here) < 5000) map.fitBounds(bounds, { padding: [30, 30], maxZoom: STREET_ZOOM });
  };
  showMe(position);
  requestAnimationFrame(() => map.invalidateSize());
  return { me: showMe, destroy: () => map.remove() };
}
