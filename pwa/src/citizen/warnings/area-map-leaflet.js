// Leaflet's side of the area map (the same lazily loaded Leaflet as the report's pin map): the
// shapes, fitted to the box. Nothing on it takes the focus: it is a picture, said in words beside.
import { geoJSON, map as leafletMap } from 'leaflet/dist/leaflet-src.esm.js';
import { addTiles } from '../../core/map-tiles.js';

export function mountAreaMap(element, { shapes, tileUrl, ended }) {
  const map = leafletMap(element, {
    zoomControl: false,
    keyboard: false,
    attributionControl: Boolean(tileUrl),
    scrollWheelZoom: false,
  });
  map.attributionControl?.setPrefix(false);
  addTiles(map, tileUrl);
  // Thick, dark red edges with a hatch-like light fill: seen in sun, on a grid or on tiles; grey
  // once the warning is over.
  const colour = ended ? '#545b66' : '#a0101c';
  const layer = geoJSON(shapes, {
    interactive: false,
    style: { color: colour, weight: 4, fillColor: colour, fillOpacity: 0.18 },
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { padding: [12, 12] });
  requestAnimationFrame(() => {
    map.invalidateSize();
    map.fitBounds(layer.getBounds(), { padding: [12, 12] });
  });
  return { destroy: () => map.remove() };
}
