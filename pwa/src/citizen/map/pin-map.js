// The map for placing the report's pin: loaded only when the citizen opens it (Leaflet is ~40 KB
// compressed, more than the whole rest of what a text report needs). Without tiles (none
// configured, or no network) it still shows the pin, the accuracy circle and a plain background.
import { circle, divIcon, map as leafletMap, marker } from 'leaflet/dist/leaflet-src.esm.js';
import { addTiles } from '../../core/map-tiles.js';

const CITY_CENTER = [10.7769, 106.7009]; // Ho Chi Minh City, when the phone gave no location
const CITY_ZOOM = 12;
const STREET_ZOOM = 17;
const STEP_PX = 8; // one arrow key press: about 10 m at street zoom
const ARROWS = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };

/**
 * Show a draggable pin in `element`. `onPlace({lat, lon})` when the citizen drags the pin, taps
 * the map, or moves the focused pin with the arrow keys. Returns `{update(position), destroy()}`:
 * `update` follows a new GPS fix.
 */
export function mountPinMap(element, { position, tileUrl, labels, onPlace, onTilesFailed }) {
  const start = position ? [position.lat, position.lon] : CITY_CENTER;
  const map = leafletMap(element, {
    center: start,
    zoom: position ? STREET_ZOOM : CITY_ZOOM,
    attributionControl: Boolean(tileUrl),
    zoomControl: true,
  });
  map.attributionControl?.setPrefix(false);
  addTiles(map, tileUrl, { onFailed: onTilesFailed, crossOrigin: false });
  let accuracy = null;
  const showAccuracy = (at, metres) => {
    accuracy?.remove();
    accuracy = metres
      ? circle(at, { radius: metres, color: '#0b57d0', weight: 2, fillOpacity: 0.12, interactive: false }).addTo(map)
      : null;
  };
  showAccuracy(start, position?.accuracy);
  const pin = marker(start, {
    draggable: true,
    autoPan: true,
    keyboard: true,
    title: labels.pin,
    alt: labels.pin,
    icon: divIcon({
      className: 'map-pin',
      html: '<span class="map-pin__head"></span>',
      iconSize: [40, 48],
      iconAnchor: [20, 46],
    }),
  }).addTo(map);
  // Positions this map placed: they come back through `update` a render later, possibly after
  // the pin has moved on (quick key presses), and must not pull it back.
  const placed = new Set();
  const place = (latlng) => {
    accuracy?.remove();
    accuracy = null;
    const at = { lat: round(latlng.lat), lon: round(latlng.lng) };
    placed.add(`${at.lat},${at.lon}`);
    if (placed.size > 32) placed.delete(placed.values().next().value);
    onPlace(at);
  };
  pin.on('dragend', () => place(pin.getLatLng()));
  // Without a pointer: the pin takes focus (Tab) and the arrow keys move it, Shift for bigger
  // steps. Stopped here, or the map would pan instead (its own arrow-key handling).
  pin.getElement()?.addEventListener('keydown', (event) => {
    const way = ARROWS[event.key];
    if (!way) return;
    event.preventDefault();
    event.stopPropagation();
    const step = event.shiftKey ? STEP_PX * 5 : STEP_PX;
    const from = map.latLngToContainerPoint(pin.getLatLng());
    const to = map.containerPointToLatLng([from.x + way[0] * step, from.y + way[1] * step]);
    pin.setLatLng(to);
    map.panInside(to);
    place(to);
  });
  map.on('click', (event) => {
    pin.setLatLng(event.latlng);
    place(event.latlng);
  });
  // Laid out after the element got its size (it was just inserted): let Leaflet measure again.
  requestAnimationFrame(() => map.invalidateSize());
  return {
    update(next) {
      if (!next || placed.has(`${next.lat},${next.lon}`)) return;
      const at = [next.lat, next.lon];
      const here = pin.getLatLng();
      // The pin's own move coming back (rounded): nothing to do.
      if (Math.abs(here.lat - next.lat) < 1e-5 && Math.abs(here.lng - next.lon) < 1e-5) return;
      pin.setLatLng(at);
      showAccuracy(at, next.accuracy);
      map.setView(at, Math.max(map.getZoom(), STREET_ZOOM));
    },
    destroy: () => map.remove(),
  };
}

// Six decimals are about 10 cm: more says nothing and only lengthens the report.
const round = (degrees) => Math.round(degrees * 1e6) / 1e6;
