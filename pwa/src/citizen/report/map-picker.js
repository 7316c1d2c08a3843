import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getConfig } from '../../core/config.js';
import { t } from '../../core/i18n.js';

/** The pin map, its code fetched on first open (see ../map/pin-map.js). */
export function MapPicker({ position, onPlace }) {
  const element = useRef(null);
  const map = useRef(null);
  const [state, setState] = useState('loading');
  // The base map: 'ok', 'none' (no tile server configured) or 'failed' (its tiles did not come):
  // then the plain grid is explained, as the console explains its own (issue 23).
  const [tiles, setTiles] = useState('ok');

  useEffect(() => {
    let cancelled = false;
    Promise.all([import('../map/pin-map.js'), getConfig()])
      .then(([{ mountPinMap }, config]) => {
        if (cancelled) return;
        const tileUrl = config?.tile_url || '';
        if (!tileUrl) setTiles('none');
        map.current = mountPinMap(element.current, {
          position,
          tileUrl,
          labels: { pin: t('citizen.location.pin') },
          onPlace,
          onTilesFailed: () => !cancelled && setTiles('failed'),
        });
        setState('ready');
      })
      .catch(() => !cancelled && setState('failed'));
    return () => {
      cancelled = true;
      map.current?.destroy();
      map.current = null;
    };
  }, []);

  useEffect(() => map.current?.update(position), [position?.lat, position?.lon]);

  return html`
    <div class="map-picker">
      ${state === 'ready' && tiles !== 'ok' &&
      html`<p class="map-picker__note" data-tiles=${tiles}>${t(`citizen.location.tiles_${tiles}`)}</p>`}
      <div
        class="map-picker__map"
        ref=${element}
        role="application"
        aria-label=${t('citizen.location.map_label')}
      ></div>
      ${state === 'loading' && html`<p class="map-picker__note">${t('citizen.location.map_loading')}</p>`}
      ${state === 'failed' && html`<p class="notice">${t('citizen.location.map_failed')}</p>`}
    </div>
  `;
}
