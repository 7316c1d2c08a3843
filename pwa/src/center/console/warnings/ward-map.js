// The area map of the warning form: Leaflet in its own chunk (shared with the console's map),
// each ward a shape that a click adds to or takes from the area. With no tiles the shapes alone
// still say which part of the city is chosen.
import { geoJSON, latLngBounds, map as leafletMap } from 'leaflet/dist/leaflet-src.esm.js';
import { addTiles } from '../../../core/map-tiles.js';

const CITY = [10.7769, 106.7009];
const IDLE = { color: '#6b7d92', weight: 1, opacity: 0.9, fillColor: '#8a9bb0', fillOpacity: 0.08 };
const CHOSEN = { color: '#ffb020', weight: 2.5, opacity: 1, fillColor: '#ff5c5c', fillOpacity: 0.45 };

export function mountWardMap(element, { tileUrl, onToggle, onTilesFailed, tipOf }) {
  const map = leafletMap(element, { center: CITY, zoom: 11, attributionControl: Boolean(tileUrl) });
  map.attributionControl?.setPrefix(false);
  addTiles(map, tileUrl, { onFailed: onTilesFailed });
  let shapes = null;
  let chosen = new Set();
  let all = false;

  // `className` names each ward's shape (tests and styles find a ward by its code).
  const styleOf = (feature) => ({
    ...(all || chosen.has(feature.properties.code) ? CHOSEN : IDLE),
    className: `w-ward w-ward-${feature.properties.code}`,
  });

  function setBoundaries(geojson) {
    shapes?.remove();
    shapes = geoJSON(geojson, {
      style: styleOf,
      onEachFeature: (feature, layer) => {
        layer.bindTooltip(tipOf(feature.properties.name), { sticky: true });
        layer.on('click', () => onToggle(feature.properties.code));
      },
    }).addTo(map);
    const bounds = shapes.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [8, 8], animate: false });
  }

  // A ward added out of view or too small to see (the whole city is ~150 km across: a ward is a
  // few pixels) brings the area into view; once zoomed in, a click on a neighbour keeps the view.
  function setChosen(codes, wholeCity) {
    const added = codes.filter((code) => !chosen.has(code));
    chosen = new Set(codes);
    all = wholeCity;
    shapes?.setStyle(styleOf);
    const layers = shapes?.getLayers().filter((l) => chosen.has(l.feature.properties.code)) ?? [];
    const hidden = layers.some((l) => added.includes(l.feature.properties.code) && (map.getZoom() < 12 || !map.getBounds().contains(l.getBounds())));
    if (hidden) map.fitBounds(latLngBounds(layers.map((l) => l.getBounds())), { padding: [16, 16], maxZoom: 14, animate: false });
  }

  return { setBoundaries, setChosen, destroy: () => map.remove() };
}
