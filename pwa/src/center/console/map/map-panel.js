import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../../../core/api.js';
import { getConfig } from '../../../core/config.js';
import { categoryLabel, categoryLetter, shortId, unitName } from '../format.js';
import { t } from '../i18n.js';
import { isStale } from '../units-live.js';

/** "2 min" / "40 s": how old a fix is. */
function ago(at, now = Date.now()) {
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 90 ? t('center.units_map.seconds', { n: s }) : t('center.units_map.minutes', { n: Math.round(s / 60) });
}

let boundariesLoad = null;

/** Ward boundaries (GeoJSON), once per page; the server revalidates by ETag on later loads. */
function loadBoundaries(token) {
  boundariesLoad ??= request('/api/wards/boundaries', { token }).catch((error) => {
    boundariesLoad = null;
    throw error;
  });
  return boundariesLoad;
}

/** The map of open incidents (the queue's items, as filtered), the selected one highlighted. */
export function MapPanel({ items, selectedId, selectedAccuracy, onSelect, token, lang, officers = [], now, units }) {
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

  // The officers on duty, greyed when their fix is older than the stale setting.
  const freshness = Math.floor((now ?? Date.now()) / 5000);
  useEffect(() => {
    map.current?.setUnits(
      officers.map((row) => {
        const stale = isStale(row, now);
        const name = row.display_name || row.username;
        const label = t(stale ? 'center.units_map.stale' : 'center.units_map.fresh', {
          name, unit: unitName(row.unit, units), age: ago(row.at, now),
          availability: t(`center.availability.${row.availability}`),
        });
        return { ...row, stale, label };
      }),
    );
  }, [state, officers, freshness, lang, units]);

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
      </div>
      <button type="button" class="map-panel__fit tool" onClick=${() => map.current?.fitAll()} disabled=${state !== 'ready'}>
        ${t('center.map.fit_all')}
      </button>
      <${Legend} officers=${officers.length > 0} />
    </section>
  `;
}

function Legend({ officers }) {
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
      ${officers && html`<li><span class="unit-marker unit-marker--legend" aria-hidden="true"><span class="unit-marker__dot"></span></span>${t('center.units_map.legend')}</li>`}
    </ul>
  `;
}
