// The console's map, loaded on demand (Leaflet is ~40 KB compressed). Ward boundaries and the
// incidents' pins are drawn by the browser itself, so with no tiles at all (none configured, the
// tile server unreachable) the dispatcher still sees where each incident is and in which ward.
import {
  circle,
  circleMarker,
  divIcon,
  geoJSON,
  latLngBounds,
  map as leafletMap,
  marker,
  polyline,
} from 'leaflet/dist/leaflet-src.esm.js';
import { addTiles } from '../../../core/map-tiles.js';
import { clusterPoints } from './clusters.js';

const CITY_CENTER = [10.7769, 106.7009];
const CITY_ZOOM = 12;
const FOCUS_ZOOM = 15;
const LABEL_ZOOM = 13;
// Pins are 30 px across: centres closer than this would cover each other, so they become one.
const CLUSTER_RADIUS = 26;

function pinIcon(item, selected, markup) {
  const classes = ['pin', `pin--${item.category}`, `pin--p${item.priority ?? 3}`];
  if (selected) classes.push('pin--selected');
  if (item.escalation || item.need_support) classes.push('pin--escalated');
  if (item.status === 'new') classes.push('pin--new');
  const size = selected ? 40 : 30;
  return divIcon({
    className: classes.join(' '),
    // No style attributes (the CSP forbids them): shape and colour come from the class names.
    html: markup(item.category),
    iconSize: [size, size],
    iconAnchor: [size / 2, size / 2],
  });
}

function clusterIcon(items, selected, escalated) {
  const top = Math.min(...items.map((item) => item.priority ?? 3));
  const classes = ['pin', 'pin--cluster', `pin--p${top}`];
  if (selected) classes.push('pin--selected');
  if (escalated) classes.push('pin--escalated');
  if (items.some((item) => item.status === 'new')) classes.push('pin--new');
  const size = selected ? 44 : 36;
  return divIcon({
    className: classes.join(' '),
    html: `<span class="pin__shape"></span><span class="pin__count">${items.length}</span>`,
    iconSize: [size, size],
    iconAnchor: [size / 2, size / 2],
  });
}

/**
 * Mount in `element`. `onSelect(id)` when a pin is clicked (or Enter on a focused pin),
 * `onCluster(ids)` when a cluster of several incidents is.
 * Returns `{setBoundaries, setPins, setUnits, focus, fitAll, destroy}`.
 */
export function mountIncidentMap(element, { tileUrl, onSelect, onCluster, onTilesFailed }) {
  const map = leafletMap(element, {
    center: CITY_CENTER,
    zoom: CITY_ZOOM,
    zoomControl: true,
    attributionControl: Boolean(tileUrl),
    preferCanvas: false,
  });
  map.attributionControl?.setPrefix(false);
  addTiles(map, tileUrl, { onFailed: onTilesFailed });
  let boundaries = null;
  let fitted = false; // the first pins are brought into view once; after that the dispatcher steers
  const pins = new Map(); // incident id, or "cluster:<ids>" -> {marker, key}
  const ring = { key: '', layer: null };
  const trailLine = { key: '', layer: null }; // a silent report's live location (issue 29)
  let placedItems = [];
  const officers = new Map(); // username -> {marker, key}

  function setBoundaries(geojson, wardLabel) {
    boundaries?.remove();
    boundaries = geoJSON(geojson, {
      // Approximate boundaries (issue 30) lighter and dashed: a guess, not a line to trust.
      style: (feature) => (feature?.properties?.approximate
        ? { color: '#8fb8ec', weight: 1, opacity: 0.55, dashArray: '5 4', fillColor: '#8fb8ec', fillOpacity: 0.04 }
        : { color: '#8fb8ec', weight: 1.5, opacity: 0.9, fillColor: '#8fb8ec', fillOpacity: 0.07 }),
      interactive: false,
      onEachFeature(feature, layer) {
        const name = feature.properties?.name ?? String(feature.properties?.code ?? '');
        // Ward names stand in for the missing base map when there are no tiles; shown from
        // street-level zooms up, where they no longer cover each other (see map.css).
        layer.bindTooltip(wardLabel(name, feature.properties?.code), {
          permanent: true,
          direction: 'center',
          className: 'ward-label',
        });
      },
    }).addTo(map);
    boundaries.bringToBack();
  }

  let last = null; // the latest setPins arguments, drawn again when the zoom changes the clusters

  function setPins(items, options) {
    last = { items, options };
    draw();
  }

  function draw() {
    if (!last) return;
    const { items, options } = last;
    // `pinOf(category)`: the pin's markup, from the console (core/category-markup.js): this chunk
    // imports nothing of the apps' own, so that it splits none of the chunks they share.
    const { selectedId, accuracy, trail, pinOf, titleOf, clusterLabel } = options;
    const placed = items.filter((item) => Number.isFinite(item.lat) && Number.isFinite(item.lon));
    placedItems = placed;
    const groups = clusterPoints(
      placed.map((item) => ({ ...map.latLngToLayerPoint([item.lat, item.lon]), item })),
      CLUSTER_RADIUS,
    );
    const keep = new Set();
    for (const group of groups) {
      const lone = group.items.length === 1;
      const item = group.items[0];
      const ids = group.items.map((i) => i.id);
      const id = lone ? item.id : `cluster:${ids.join(' ')}`;
      keep.add(id);
      const selected = ids.includes(selectedId);
      const escalated = group.items.some((i) => i.escalation || i.need_support);
      const key = lone
        ? [item.category, item.priority, item.status, item.escalation, item.need_support, selected].join('|')
        : [selected, escalated, Math.min(...group.items.map((i) => i.priority ?? 3)), clusterLabel(ids.length)].join('|');
      const current = pins.get(id);
      if (current && current.key === key) {
        current.marker.setLatLng([group.lat, group.lon]);
        continue;
      }
      current?.marker.remove();
      const pin = marker([group.lat, group.lon], {
        icon: lone ? pinIcon(item, selected, pinOf) : clusterIcon(group.items, selected, escalated),
        title: lone ? titleOf(item) : group.items.map(titleOf).join('\n'),
        alt: lone ? titleOf(item) : clusterLabel(ids.length),
        keyboard: true,
        riseOnHover: true,
        zIndexOffset: selected ? 2000 : escalated ? 1000 : 0,
      }).addTo(map);
      const element = pin.getElement();
      const activate = lone ? () => onSelect(item.id) : () => onCluster?.(ids);
      pin.on('click', activate);
      // Leaflet makes a marker focusable and calls it a button, but Enter and Space do nothing
      // unless it has a popup; a button answers both. Handled here, not by the console's Enter.
      element?.addEventListener('keydown', (event) => {
        if (event.key !== 'Enter' && event.key !== ' ') return;
        event.preventDefault();
        event.stopPropagation();
        activate();
      });
      if (lone) {
        element?.setAttribute('data-incident', item.id);
      } else {
        // Its name says what the count is; the visible "3" is part of it (speech input users say it).
        element?.setAttribute('data-cluster', String(ids.length));
        element?.setAttribute('data-incidents', ids.join(' '));
        element?.setAttribute('aria-expanded', 'false'); // the map panel marks the open one
        element?.setAttribute('aria-label', clusterLabel(ids.length));
      }
      pins.set(id, { marker: pin, key });
    }
    for (const [id, pin] of pins) {
      if (!keep.has(id)) {
        pin.marker.remove();
        pins.delete(id);
      }
    }
    // The accuracy ring belongs to the selected report, clustered or not.
    const chosen = placed.find((item) => item.id === selectedId);
    const ringKey = chosen && accuracy ? `${chosen.id}|${chosen.lat}|${chosen.lon}|${accuracy}` : '';
    if (ringKey !== ring.key) {
      ring.layer?.remove();
      ring.layer = ringKey
        ? circle([chosen.lat, chosen.lon], { radius: accuracy, color: '#0b57d0', weight: 2, fillOpacity: 0.08, interactive: false }).addTo(map)
        : null;
      ring.key = ringKey;
    }
    // From where the report was made through each fix to the latest (a dot): where to send help.
    const fixes = chosen && Array.isArray(trail) ? trail : [];
    const trailKey = fixes.length ? `${chosen.id}|${fixes.length}` : '';
    if (trailKey !== trailLine.key) {
      trailLine.layer?.remove();
      const points = [[chosen?.lat, chosen?.lon], ...fixes.map((f) => [f.lat, f.lon])];
      const latest = points[points.length - 1];
      trailLine.layer = trailKey
        ? {
            remove() {
              this.line.remove();
              this.dot.remove();
            },
            line: polyline(points, { color: '#b3261e', weight: 3, interactive: false, className: 'silent-trail-line' }).addTo(map),
            dot: circleMarker(latest, { radius: 7, color: '#b3261e', weight: 3, fillOpacity: 0.9, interactive: false, className: 'silent-trail-now' }).addTo(map),
          }
        : null;
      trailLine.key = trailKey;
    }
    if (!fitted && placed.length) {
      fitted = true; // before: fitting zooms, and the zoom draws again
      fitAll({ animate: false });
    }
  }

  // Choosing a place (phone intake): a click puts the marker there and reports it.
  let picking = null;
  let pickMarker = null;
  map.on('click', (event) => picking?.(event.latlng.lat, event.latlng.lng));
  function setPicking(onPick, at) {
    picking = onPick;
    element.classList.toggle('is-picking', Boolean(onPick));
    pickMarker?.remove();
    pickMarker = onPick && at ? circleMarker([at.lat, at.lon], { radius: 9, color: '#b3261e', weight: 3, fillOpacity: 0.4, interactive: false }).addTo(map) : null;
  }

  /**
   * The on-duty officers (issue 16): a small badge each, greyed once its fix is stale. `rows`
   * carry `stale` (computed by the caller with the server's setting) and `label` (the tooltip).
   */
  function setUnits(rows) {
    const keep = new Set();
    for (const row of rows) {
      keep.add(row.username);
      const key = [row.stale, row.availability, row.label].join('|');
      const current = officers.get(row.username);
      if (current && current.key === key) {
        current.marker.setLatLng([row.lat, row.lon]);
      } else {
        current?.marker.remove();
        const classes = ['unit-marker', `unit-marker--${row.availability}`];
        if (row.stale) classes.push('unit-marker--stale');
        const badge = marker([row.lat, row.lon], {
          icon: divIcon({ className: classes.join(' '), html: '<span class="unit-marker__dot"></span>', iconSize: [18, 18], iconAnchor: [9, 9] }),
          title: row.label,
          alt: row.label,
          keyboard: false,
          zIndexOffset: -500, // under the incidents' pins, which are what the dispatcher clicks
        }).addTo(map);
        badge.getElement()?.setAttribute('data-officer', row.username);
        officers.set(row.username, { marker: badge, key });
      }
      const element = officers.get(row.username).marker.getElement();
      element?.setAttribute('data-lat', String(row.lat));
      element?.setAttribute('data-lon', String(row.lon));
    }
    for (const [username, badge] of officers) {
      if (!keep.has(username)) {
        badge.marker.remove();
        officers.delete(username);
      }
    }
  }

  /** Every pin in view (the city centre when there is none). */
  function fitAll({ animate = true } = {}) {
    if (!placedItems.length) {
      map.setView(CITY_CENTER, CITY_ZOOM, { animate });
      return;
    }
    const bounds = latLngBounds(placedItems.map((item) => [item.lat, item.lon]));
    map.fitBounds(bounds, { padding: [48, 48], maxZoom: FOCUS_ZOOM, animate });
  }

  function focus(lat, lon) {
    if (!Number.isFinite(lat) || !Number.isFinite(lon)) return;
    const here = [lat, lon];
    if (!map.getBounds().pad(-0.15).contains(here) || map.getZoom() < 13) {
      map.setView(here, Math.max(map.getZoom(), FOCUS_ZOOM));
    }
  }

  // Laid out after the element got its size: let Leaflet measure again (and on window resizes,
  // which Leaflet follows itself, but not on column changes inside the page).
  const observer = new ResizeObserver(() => map.invalidateSize());
  observer.observe(element);
  const labels = () => element.classList.toggle('show-ward-labels', map.getZoom() >= LABEL_ZOOM);
  map.on('zoomend', labels);
  map.on('zoomend', draw);
  labels();
  return {
    setBoundaries,
    setPins,
    setPicking,
    setUnits,
    focus,
    fitAll,
    destroy() {
      observer.disconnect();
      map.remove();
    },
  };
}
