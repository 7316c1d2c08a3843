// The console's map, loaded on demand (Leaflet is ~40 KB compressed). Ward boundaries and the
// incidents' pins are drawn by the browser itself, so with no tiles at all (none configured, the
// tile server unreachable) the dispatcher still sees where each incident is and in which ward.
import {
  circle,
  divIcon,
  geoJSON,
  latLngBounds,
  map as leafletMap,
  marker,
  tileLayer,
} from 'leaflet/dist/leaflet-src.esm.js';

const CITY_CENTER = [10.7769, 106.7009];
const CITY_ZOOM = 12;
const FOCUS_ZOOM = 15;
const LABEL_ZOOM = 13;

function pinIcon(item, selected, letter) {
  const classes = ['pin', `pin--${item.category}`, `pin--p${item.priority ?? 3}`];
  if (selected) classes.push('pin--selected');
  if (item.escalation || item.need_support) classes.push('pin--escalated');
  if (item.status === 'new') classes.push('pin--new');
  const size = selected ? 40 : 30;
  return divIcon({
    className: classes.join(' '),
    // No style attributes (the CSP forbids them): shape and colour come from the class names.
    html: `<span class="pin__shape"></span><span class="pin__letter">${letter}</span>`,
    iconSize: [size, size],
    iconAnchor: [size / 2, size / 2],
  });
}

/**
 * Mount in `element`. `onSelect(id)` when a pin is clicked (or Enter on a focused pin).
 * Returns `{setBoundaries, setPins, setUnits, focus, fitAll, destroy}`.
 */
export function mountIncidentMap(element, { tileUrl, onSelect, onTilesFailed }) {
  const map = leafletMap(element, {
    center: CITY_CENTER,
    zoom: CITY_ZOOM,
    zoomControl: true,
    attributionControl: Boolean(tileUrl),
    preferCanvas: false,
  });
  map.attributionControl?.setPrefix(false);
  if (tileUrl) {
    let failures = 0;
    tileLayer(tileUrl, { maxZoom: 19, attribution: '© OpenStreetMap' })
      .on('tileerror', () => {
        failures += 1;
        if (failures === 1) onTilesFailed?.();
      })
      .addTo(map);
  }
  let boundaries = null;
  let fitted = false; // the first pins are brought into view once; after that the dispatcher steers
  const pins = new Map(); // id -> {marker, key, ring}
  const officers = new Map(); // username -> {marker, key}

  function setBoundaries(geojson, wardLabel) {
    boundaries?.remove();
    boundaries = geoJSON(geojson, {
      style: { color: '#8fb8ec', weight: 1.5, opacity: 0.9, fillColor: '#8fb8ec', fillOpacity: 0.07 },
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

  function setPins(items, { selectedId, accuracy, letterOf, titleOf }) {
    const keep = new Set();
    for (const item of items) {
      if (!Number.isFinite(item.lat) || !Number.isFinite(item.lon)) continue;
      keep.add(item.id);
      const selected = item.id === selectedId;
      const key = [item.category, item.priority, item.status, item.escalation, item.need_support, selected, selected && accuracy, letterOf(item.category)].join('|');
      const current = pins.get(item.id);
      if (current && current.key === key) {
        current.marker.setLatLng([item.lat, item.lon]);
        continue;
      }
      current?.marker.remove();
      current?.ring?.remove();
      const pin = marker([item.lat, item.lon], {
        icon: pinIcon(item, selected, letterOf(item.category)),
        title: titleOf(item),
        alt: titleOf(item),
        keyboard: true,
        riseOnHover: true,
        zIndexOffset: selected ? 2000 : item.escalation ? 1000 : 0,
      }).addTo(map);
      pin.on('click', () => onSelect(item.id));
      pin.getElement()?.setAttribute('data-incident', item.id);
      const ring = selected && accuracy
        ? circle([item.lat, item.lon], { radius: accuracy, color: '#0b57d0', weight: 2, fillOpacity: 0.08, interactive: false }).addTo(map)
        : null;
      pins.set(item.id, { marker: pin, key, ring });
    }
    for (const [id, pin] of pins) {
      if (!keep.has(id)) {
        pin.marker.remove();
        pin.ring?.remove();
        pins.delete(id);
      }
    }
    if (!fitted && pins.size) {
      fitAll({ animate: false });
      fitted = true;
    }
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
    if (!pins.size) {
      map.setView(CITY_CENTER, CITY_ZOOM, { animate });
      return;
    }
    const bounds = latLngBounds([...pins.values()].map((p) => p.marker.getLatLng()));
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
  labels();
  return {
    setBoundaries,
    setPins,
    setUnits,
    focus,
    fitAll,
    destroy() {
      observer.disconnect();
      map.remove();
    },
  };
}
