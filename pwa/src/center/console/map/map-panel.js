import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../../../core/api.js';
import { getConfig } from '../../../core/config.js';
import { categoryLabel, categoryLetter, shortId } from '../format.js';
import { t } from '../i18n.js';

let boundariesLoad = null;

/** Ward boundaries (GeoJSON), once per page; the server revalidates by ETag on later loads. */
export function loadBoundaries(token) {
  boundariesLoad ??= request('/api/wards/boundaries', { token }).catch((error) => {
    boundariesLoad = null;
    throw error;
  });
  return boundariesLoad;
}

/**
 * The map of open incidents (the queue's items, as filtered), the selected one highlighted.
 * `onPick(lat, lon)`, when given, makes a click on the map choose a place (phone intake), shown
 * at `pick`.
 */
export function MapPanel({ items, selectedId, selectedAccuracy, onSelect, token, lang, pick, onPick }) {
  const element = useRef(null);
  const map = useRef(null);
  const select = useRef(onSelect);
  select.current = onSelect;
  const [state, setState] = useState('loading');
  const [tiles, setTiles] = useState('ok');
  const [wards, setWards] = useState('loading');

  useEffect(() => {
    let cancelled = false;
    Promise.all([import('./incident-map.js'), getConfig()])
      .then(([{ mountIncidentMap }, config]) => {
        if (cancelled) return;
        const tileUrl = config?.tile_url || '';
        if (!tileUrl) setTiles('none');
        map.current = mountIncidentMap(element.current, {
          tileUrl,
          onSelect: (id) => select.current(id),
          onTilesFailed: () => setTiles('failed'),
        });
        setState('ready');
        loadBoundaries(token).then(
          (geojson) => {
            if (cancelled || !map.current) return;
            map.current.setBoundaries(geojson, (name, code) => t('center.map.ward_tip', { name, code }));
            setWards(geojson?.features?.length ? 'ok' : 'none');
          },
          () => !cancelled && setWards('failed'),
        );
      })
      .catch(() => !cancelled && setState('failed'));
    return () => {
      cancelled = true;
      map.current?.destroy();
      map.current = null;
    };
  }, []);

  useEffect(() => {
    map.current?.setPins(items, {
      selectedId,
      accuracy: selectedAccuracy,
      letterOf: categoryLetter,
      titleOf: (item) => `${categoryLabel(item.category)} · P${item.priority} · ${shortId(item.id)}`,
    });
  }, [state, items, selectedId, selectedAccuracy, lang]);

  useEffect(() => {
    map.current?.setPicking(onPick ?? null, pick ?? null);
  }, [state, onPick, pick?.lat, pick?.lon]);

  const selected = items.find((item) => item.id === selectedId);
  useEffect(() => {
    if (selected) map.current?.focus(selected.lat, selected.lon);
  }, [state, selectedId]);

  const unplaced = items.filter((item) => !Number.isFinite(item.lat) || !Number.isFinite(item.lon));
  return html`
    <section class="map-panel" aria-label=${t('center.map.label')}>
      <div class="map-panel__map" ref=${element} role="application" aria-label=${t('center.map.label')}></div>
      <div class="map-panel__notes">
        ${state === 'loading' && html`<p class="map-note">${t('center.map.loading')}</p>`}
        ${state === 'failed' && html`<p class="map-note map-note--warn">${t('center.map.failed')}</p>`}
        ${tiles !== 'ok' && state === 'ready' && html`<p class="map-note">${t(`center.map.tiles_${tiles}`)}</p>`}
        ${wards === 'failed' && html`<p class="map-note map-note--warn">${t('center.map.wards_failed')}</p>`}
        ${unplaced.length > 0 && html`<p class="map-note">${t('center.map.unplaced', { n: unplaced.length })}</p>`}
        ${onPick && html`<p class="map-note map-note--pick">${t('center.intake.click_map')}</p>`}
      </div>
      <button type="button" class="map-panel__fit tool" onClick=${() => map.current?.fitAll()} disabled=${state !== 'ready'}>
        ${t('center.map.fit_all')}
      </button>
      <${Legend} />
    </section>
  `;
}

function Legend() {
  return html`
    <ul class="map-legend" aria-label=${t('center.map.legend')}>
      ${['crime', 'traffic', 'fire', 'other'].map(
        (category) => html`
          <li key=${category}>
            <span class=${`pin pin--legend pin--${category}`} aria-hidden="true">
              <span class="pin__shape"></span><span class="pin__letter">${categoryLetter(category)}</span>
            </span>
            ${categoryLabel(category)}
          </li>
        `,
      )}
    </ul>
  `;
}
