// The warning's area on a small map: the wards' public shapes (kept on the phone) drawn over the
// tiles if there are any, on a plain background if not. A picture for the eye; the area is
// always said in words next to it, so the map is one image to a screen reader.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getConfig } from '../../core/config.js';
import { t } from './i18n.js';
import { warnings } from './model.js';
import { areaWords, endedWords } from './parts.js';
import { shapesOf } from './wards.js';

export function AreaMap({ warning }) {
  const element = useRef(null);
  const [state, setState] = useState('loading');
  const codes = warning.wards.map((w) => w.code).join(',');

  useEffect(() => {
    let cancelled = false;
    let map = null;
    Promise.all([import('./area-map-leaflet.js'), warnings.boundaries(), getConfig()])
      .then(([{ mountAreaMap }, geojson, config]) => {
        if (cancelled) return;
        const shapes = shapesOf(geojson, warning.wards.map((w) => w.code), warning.all_city);
        if (!shapes.features.length) return setState('none');
        map = mountAreaMap(element.current, { shapes, tileUrl: config?.tile_url || '', ended: Boolean(endedWords(warning)) });
        setState('ready');
      })
      .catch(() => !cancelled && setState('failed'));
    return () => {
      cancelled = true;
      map?.destroy();
    };
  }, [warning.id, codes]);

  return html`
    <div class="w-map-box" data-map=${state}>
      <div class="w-map" ref=${element} role="img" aria-label=${t('citizen.warnings.map_label', { area: areaWords(warning) })}></div>
      ${state === 'loading' && html`<p class="w-map__note">${t('citizen.warnings.map_loading')}</p>`}
      ${(state === 'failed' || state === 'none') && html`<p class="w-map__note">${t('citizen.warnings.map_failed')}</p>`}
    </div>
  `;
}
