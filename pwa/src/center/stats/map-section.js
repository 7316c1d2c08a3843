// The map of the period's incidents: Leaflet in its own chunk, fetched when the page opens. With
// no tiles (none configured, or the server unreachable) the ward boundaries and the incidents,
// drawn by the browser, still say where things happened.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../../core/api.js';
import { categoryColour, categoryName } from '../../core/categories.js';
import { getConfig } from '../../core/config.js';
import { CategoryPin } from '../../core/ui/category-pin.js';
import { useJson } from './data.js';
import { count } from './format.js';
import { CATEGORIES, statsUrl } from './filters.js';
import { t } from './i18n.js';
import { Loading, Section } from './parts.js';

let boundariesLoad = null;

function loadBoundaries(token) {
  boundariesLoad ??= request('/api/wards/boundaries', { token }).catch((error) => {
    boundariesLoad = null;
    throw error;
  });
  return boundariesLoad;
}

const cellSize = (m) => (m >= 1000 ? `${m / 1000} km` : `${m} m`);

export function MapSection({ filters, token }) {
  const element = useRef(null);
  const map = useRef(null);
  const [status, setStatus] = useState('loading');
  const [tiles, setTiles] = useState(true);
  const state = useJson(statsUrl('/api/stats/map', filters, { mode: 'auto' }), token);
  const data = state.data;

  useEffect(() => {
    let cancelled = false;
    Promise.all([import('./stats-map.js'), getConfig()])
      .then(([{ mountStatsMap }, config]) => {
        if (cancelled) return;
        const tileUrl = config?.tile_url || '';
        setTiles(Boolean(tileUrl));
        map.current = mountStatsMap(element.current, { tileUrl, onTilesFailed: () => setTiles(false), colourOf: categoryColour });
        setStatus('ready');
        loadBoundaries(token).then((geojson) => !cancelled && map.current?.setBoundaries(geojson), () => {});
      })
      .catch(() => !cancelled && setStatus('failed'));
    return () => {
      cancelled = true;
      map.current?.destroy();
      map.current = null;
    };
  }, []);

  useEffect(() => {
    if (status === 'ready' && data) map.current.setData(data, (n) => t('stats.map.cell_tip', { count: count(n) }));
  }, [status, data]);

  const caption = data && (data.mode === 'grid'
    ? t('stats.map.grid', { total: count(data.total), cell: cellSize(data.cell_m) })
    : t('stats.map.points', { located: count(data.located), total: count(data.total) }));
  return html`
    <${Section}
      id="map"
      title=${t('stats.map.title')}
      csv=${statsUrl('/api/stats/map.csv', filters, { mode: 'auto' })}
      tools=${html`<a class="stats-geojson" href=${statsUrl('/api/stats/incidents.geojson', filters)} download data-geojson="incidents">${t('stats.map.geojson')}</a>`}
    >
      <${Loading} state=${state} />
      ${caption && html`<p class="stats-muted" data-map-mode=${data.mode}>${caption}${data.no_location ? ` ${t('stats.map.no_location', { n: count(data.no_location) })}` : ''}</p>`}
      ${!tiles && html`<p class="stats-muted">${t('stats.map.no_tiles')}</p>`}
      ${status === 'failed' && html`<p class="form-error" role="alert">${t('stats.map.failed')}</p>`}
      <div class="stats-map" ref=${element} data-map=${status}></div>
      <ul class="stats-legend" aria-label=${t('stats.map.legend')}>
        ${CATEGORIES.map((c) => html`<li key=${c} data-category=${c}><${CategoryPin} category=${c} variant="legend" />${categoryName(c)}</li>`)}
      </ul>
    <//>
  `;
}
