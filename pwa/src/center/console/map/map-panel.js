import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../../../core/api.js';
import { getConfig } from '../../../core/config.js';
import { categoryLabel, shortId, statusLabel, unitName } from '../format.js';
import { CATEGORIES } from '../../../core/categories.js';
import { pinHtml } from '../../../core/category-markup.js';
import { CategoryPin } from '../../../core/ui/category-pin.js';
import { t } from '../i18n.js';
import { fixAge, isStale } from '../units-live.js';

/** "2 min" / "40 s": how old a fix is. */
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
export function MapPanel({ items, selectedId, selectedAccuracy, selectedTrail, onSelect, token, lang, pick, onPick, officers = [], now, units }) {
  const element = useRef(null);
  const map = useRef(null);
  const select = useRef(onSelect);
  select.current = onSelect;
  const [state, setState] = useState('loading');
  const [tiles, setTiles] = useState('ok');
  const [wards, setWards] = useState('loading');
  const [cluster, setCluster] = useState(null); // the ids of the cluster whose list is open
  const [sources, setSources] = useState([]); // where the ward boundaries come from (legend)

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
          onCluster: (ids) => setCluster({ ids, at: Date.now() }),
          onTilesFailed: () => setTiles('failed'),
        });
        setState('ready');
        loadBoundaries(token).then(
          (geojson) => {
            if (cancelled || !map.current) return;
            map.current.setBoundaries(geojson, (name, code) => t('center.map.ward_tip', { name, code }));
            setWards(geojson?.features?.length ? 'ok' : 'none');
            setSources(geojson?.sources ?? []);
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
      trail: selectedTrail,
      pinOf: pinHtml,
      titleOf: (item) => `${categoryLabel(item.category)} · P${item.priority} · ${shortId(item.id)}`,
      clusterLabel: (n) => t('center.map.cluster_label', { n }),
    });
  }, [state, items, selectedId, selectedAccuracy, selectedTrail?.length, lang]);

  // A cluster marker says whether its list is open (markers are drawn again on every change).
  useEffect(() => {
    const open = cluster?.ids.join(' ');
    for (const marker of element.current?.querySelectorAll('[data-cluster]') ?? []) {
      marker.setAttribute('aria-expanded', String(marker.getAttribute('data-incidents') === open));
    }
  }, [state, items, selectedId, cluster, lang]);

  useEffect(() => {
    map.current?.setPicking(onPick ?? null, pick ?? null);
    // A place found by address search may be anywhere in the city: bring it into view.
    if (pick?.searched) map.current?.focus(pick.lat, pick.lon);
  }, [state, onPick, pick?.lat, pick?.lon]);

  // The officers on duty, greyed when their fix is older than the stale setting.
  const freshness = Math.floor((now ?? Date.now()) / 5000);
  useEffect(() => {
    map.current?.setUnits(
      officers.map((row) => {
        const stale = isStale(row, now);
        const name = row.display_name || row.username;
        const label = t(stale ? 'center.units_map.stale' : 'center.units_map.fresh', {
          name, unit: unitName(row.unit, units), age: fixAge(row.at, now),
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
        ${onPick && html`<p class="map-note map-note--pick">${t('center.intake.click_map')}</p>`}
      </div>
      <button type="button" class="map-panel__fit tool" onClick=${() => map.current?.fitAll()} disabled=${state !== 'ready'}>
        ${t('center.map.fit_all')}
      </button>
      <${Legend} officers=${officers.length > 0} sources=${sources} />
      ${cluster && html`
        <${ClusterList}
          cluster=${cluster}
          items=${items}
          selectedId=${selectedId}
          onSelect=${onSelect}
          onClose=${() => {
            setCluster(null);
            element.current?.querySelector(`[data-incidents="${cluster.ids.join(' ')}"]`)?.focus();
          }}
        />
      `}
    </section>
  `;
}

/** The incidents of one cluster, each a button that opens it; stays open to go through them. */
function ClusterList({ cluster, items, selectedId, onSelect, onClose }) {
  const list = useRef(null);
  const members = cluster.ids.map((id) => items.find((item) => item.id === id)).filter(Boolean);
  // Opened from the marker (a click or Enter on it): the keyboard goes on into the list.
  useEffect(() => {
    list.current?.querySelector('button')?.focus();
  }, [cluster.at]);
  if (!members.length) return null;
  const keys = (event) => {
    if (event.key !== 'Escape') return;
    // Escape here closes the list only, not the open incident as it does elsewhere in the console.
    event.stopPropagation();
    event.preventDefault();
    onClose();
  };
  return html`
    <section class="map-cluster" aria-labelledby="map-cluster-title" onKeyDown=${keys}>
      <header class="map-cluster__head">
        <h3 id="map-cluster-title">${t('center.map.cluster_title', { n: members.length })}</h3>
        <button type="button" class="map-cluster__close tool" onClick=${onClose}>${t('center.map.cluster_close')}</button>
      </header>
      <ul class="map-cluster__list" ref=${list}>
        ${members.map(
          (item) => html`
            <li key=${item.id}>
              <button
                type="button"
                class=${item.id === selectedId ? 'map-cluster__item is-selected' : 'map-cluster__item'}
                data-incident=${item.id}
                aria-current=${item.id === selectedId ? 'true' : undefined}
                onClick=${() => onSelect(item.id)}
              >
                <${CategoryPin} category=${item.category} variant="list" />
                <span class="map-cluster__text">
                  <span class="map-cluster__top">
                    <span class=${`prio prio--${item.priority}`}>P${item.priority}</span>
                    ${categoryLabel(item.category)} · ${statusLabel(item.status)} · ${shortId(item.id)}
                  </span>
                  ${item.summary && html`<span class="map-cluster__summary">${item.summary}</span>`}
                </span>
              </button>
            </li>
          `,
        )}
      </ul>
    </section>
  `;
}

/** "Approximate ward boundaries (168)", "Ward boundaries: hcm.geojson, 08/12/2026 (168)". */
function sourceLabel({ source, wards, updated_at: at }) {
  if (source === 'approximate' || source === 'sample') return t(`center.map.boundaries_${source}`, { n: wards });
  const date = new Date(at).toLocaleDateString(t('center.map.date_locale'));
  return t('center.map.boundaries_imported', { file: source, date, n: wards });
}

function Legend({ officers, sources = [] }) {
  return html`
    <ul class="map-legend" aria-label=${t('center.map.legend')}>
      ${CATEGORIES.map(
        (category) => html`
          <li key=${category}>
            <${CategoryPin} category=${category} variant="legend" />
            ${categoryLabel(category)}
          </li>
        `,
      )}
      ${officers && html`<li><span class="unit-marker unit-marker--legend" aria-hidden="true"><span class="unit-marker__dot"></span></span>${t('center.units_map.legend')}</li>`}
      ${sources.map((s) => html`
        <li key=${s.source} class="map-legend__boundaries" data-source=${s.source === 'approximate' || s.source === 'sample' ? s.source : 'imported'}>
          <span class="map-legend__ward" aria-hidden="true"></span>${sourceLabel(s)}
        </li>`)}
    </ul>
  `;
}
