// The stats map, its own chunk with Leaflet (~40 KB compressed). Points are circle markers, cells
// rectangles shaded by their count; everything on a canvas, because a period can hold thousands.
import {
  canvas,
  circleMarker,
  geoJSON,
  latLngBounds,
  layerGroup,
  map as leafletMap,
  rectangle,
} from 'leaflet/dist/leaflet-src.esm.js';
import { addTiles } from '../../core/map-tiles.js';
import leafletCss from 'leaflet/dist/leaflet.css' with { type: 'text' };
import { adoptStyles } from './styles.js';

adoptStyles(leafletCss);

const CITY = [10.7769, 106.7009];

// `colourOf(category)`: the points' colours, from the page (core/categories.js): this chunk imports
// nothing of the apps' shared modules, so that it splits none of the chunks every app loads.
export function mountStatsMap(element, { tileUrl, onTilesFailed, colourOf }) {
  const map = leafletMap(element, { center: CITY, zoom: 11, renderer: canvas(), attributionControl: Boolean(tileUrl) });
  map.attributionControl?.setPrefix(false);
  addTiles(map, tileUrl, { onFailed: onTilesFailed });
  let boundaries = null;
  const incidents = layerGroup().addTo(map);

  function setBoundaries(geojson) {
    boundaries?.remove();
    boundaries = geoJSON(geojson, {
      style: { color: '#4a5a6e', weight: 1, opacity: 0.8, fillColor: '#8a9bb0', fillOpacity: 0.05 },
      interactive: false,
    }).addTo(map);
    boundaries.bringToBack();
    if (!incidents.getLayers().length) fit(boundaries.getBounds());
  }

  function fit(bounds) {
    if (bounds?.isValid()) map.fitBounds(bounds, { padding: [16, 16], maxZoom: 15, animate: false });
  }

  function setData(data, cellTip) {
    incidents.clearLayers();
    const bounds = latLngBounds([]);
    if (data.mode === 'grid') {
      const most = Math.max(1, ...data.cells.map((c) => c.count));
      for (const cell of data.cells) {
        const [s, w, n, e] = cell.bounds;
        rectangle([[s, w], [n, e]], {
          color: '#7a1010', weight: 0.5, fillColor: '#c62828', fillOpacity: 0.15 + 0.7 * (cell.count / most),
        }).bindTooltip(cellTip(cell.count)).addTo(incidents);
        bounds.extend([[s, w], [n, e]]);
      }
    } else {
      for (const p of data.points) {
        circleMarker([p.lat, p.lon], {
          radius: 4, weight: 1, color: '#ffffff', fillColor: colourOf(p.category), fillOpacity: 0.9,
        }).addTo(incidents);
        bounds.extend([p.lat, p.lon]);
      }
    }
    if (bounds.isValid()) fit(bounds);
    else if (boundaries) fit(boundaries.getBounds());
  }

  return {
    setBoundaries,
    setData,
    destroy: () => map.remove(),
  };
}
