// The area of a warning: the whole city, or wards chosen from a searchable list or on the map.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getConfig } from '../../../core/config.js';
import { t } from '../i18n.js';
import { loadShapes } from './model.js';

/** Vietnamese and English searches both work without the accents ("tan phu" finds "Tân Phú"). */
const fold = (s) => String(s).normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/gi, 'd').toLowerCase();

export function AreaPicker({ wards, all, codes, onChange, error }) {
  const [query, setQuery] = useState('');
  const names = new Map((wards ?? []).map((w) => [w.code, w.name]));
  const q = fold(query.trim());
  const found = q ? (wards ?? []).filter((w) => fold(w.name).includes(q) || String(w.code).startsWith(q)) : (wards ?? []);
  const toggle = (code) => onChange({ all: false, codes: codes.includes(code) ? codes.filter((c) => c !== code) : [...codes, code] });

  return html`
    <fieldset class="w-area" aria-invalid=${error ? 'true' : undefined} aria-describedby=${error ? 'w-area-error' : undefined}>
      <legend>${t('center.warnings.form.area')}</legend>
      ${error && html`<p class="field-error" id="w-area-error" role="alert">${error}</p>`}
      <label class="w-check w-check--city">
        <input type="checkbox" name="all_city" checked=${all} onChange=${(e) => onChange({ all: e.currentTarget.checked, codes })} />
        <span>${t('center.warnings.form.all_city')}</span>
      </label>
      <div class="w-area__chosen" aria-live="polite">
        ${all
          ? html`<strong>${t('center.warnings.form.all_city_chosen')}</strong>`
          : codes.length
          ? html`<span class="muted">${t('center.warnings.form.chosen', { n: codes.length })}</span>
              ${codes.map((code) => html`
                <button type="button" class="w-chip" key=${code} onClick=${() => toggle(code)}
                  aria-label=${t('center.warnings.form.remove_ward', { name: names.get(code) ?? code })}>
                  ${names.get(code) ?? code} <span aria-hidden="true">×</span>
                </button>`)}`
          : html`<span class="muted">${t('center.warnings.form.none_chosen')}</span>`}
      </div>
      <div class="w-area__pick" hidden=${all}>
        <div class="w-area__list">
          <div class="w-field">
            <label class="w-field__label" for="w-ward-search">${t('center.warnings.form.search')}</label>
            <input type="search" id="w-ward-search" name="ward_search" value=${query} onInput=${(e) => setQuery(e.currentTarget.value)} />
          </div>
          <ul class="w-wards" aria-label=${t('center.warnings.form.wards')}>
            ${wards === null && html`<li class="muted">${t('center.warnings.loading')}</li>`}
            ${found.map((w) => html`
              <li key=${w.code}>
                <label class="w-check">
                  <input type="checkbox" name="ward" value=${w.code} checked=${codes.includes(w.code)} onChange=${() => toggle(w.code)} />
                  <span>${w.name}</span>
                </label>
              </li>`)}
            ${wards && !found.length && html`<li class="muted">${t('center.warnings.form.no_match')}</li>`}
          </ul>
        </div>
        <${AreaMap} codes=${codes} all=${all} onToggle=${toggle} />
      </div>
    </fieldset>
  `;
}

/** The wards on a small map; a click on one adds it to the area or takes it out. `map-panel`:
 * the console's own Leaflet styles (map/leaflet-console.css) are scoped to it. */
function AreaMap({ codes, all, onToggle }) {
  const element = useRef(null);
  const map = useRef(null);
  const toggle = useRef(onToggle);
  toggle.current = onToggle;
  const [state, setState] = useState('loading');
  const [tiles, setTiles] = useState(true);

  useEffect(() => {
    let cancelled = false;
    Promise.all([import('./ward-map.js'), getConfig()])
      .then(([{ mountWardMap }, config]) => {
        if (cancelled) return;
        const tileUrl = config?.tile_url || '';
        setTiles(Boolean(tileUrl));
        map.current = mountWardMap(element.current, {
          tileUrl,
          onToggle: (code) => toggle.current(code),
          onTilesFailed: () => setTiles(false),
          tipOf: (name) => name,
        });
        return loadShapes().then((geojson) => {
          if (cancelled || !map.current) return;
          map.current.setBoundaries(geojson);
          setState('ready');
        });
      })
      .catch(() => !cancelled && setState('failed'));
    return () => {
      cancelled = true;
      map.current?.destroy();
      map.current = null;
    };
  }, []);

  useEffect(() => {
    map.current?.setChosen(codes, all);
  }, [state, codes, all]);

  return html`
    <div class="w-map map-panel">
      <div class="w-map__canvas" ref=${element} data-state=${state} aria-label=${t('center.warnings.form.map')} role="region"></div>
      <p class="w-map__note muted">
        ${state === 'failed' ? t('center.warnings.form.map_failed') : tiles ? t('center.warnings.form.map_hint') : t('center.warnings.form.map_no_tiles')}
      </p>
    </div>
  `;
}
