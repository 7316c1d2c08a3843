import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getConfig } from '../../core/config.js';
import { t } from '../../core/i18n.js';

/** The pin map, its code fetched on first open (see ../map/pin-map.js). */
export function MapPicker({ position, onPlace }) {
  const element = useRef(null);
  const map = useRef(null);
  const [state, setState] = useState('loading');

  useEffect(() => {
    let cancelled = false;
    Promise.all([import('../map/pin-map.js'), getConfig()])
      .then(([{ mountPinMap }, config]) => {
        if (cancelled) return;
        map.current = mountPinMap(element.current, {
          position,
          tileUrl: config?.tile_url || '',
          labels: { pin: t('citizen.location.pin') },
          onPlace,
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
