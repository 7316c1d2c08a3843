import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { getConfig } from '../core/config.js';
import { t } from '../core/i18n.js';
import { warmCache } from './offline-ready.js';

/** The incident on a small map, its code (Leaflet) fetched the first time (map/incident-map.js). */
export function MapView({ where, position }) {
  const element = useRef(null);
  const map = useRef(null);
  const [state, setState] = useState('loading');

  useEffect(() => {
    let cancelled = false;
    Promise.all([import('./map/incident-map.js'), getConfig()])
      .then(([{ mountIncidentMap }, config]) => {
        if (cancelled) return;
        map.current = mountIncidentMap(element.current, {
          where,
          position,
          tileUrl: config?.tile_url || '',
          labels: { incident: t('officer.map_incident'), me: t('officer.map_me') },
        });
        setState('ready');
        warmCache(); // keep the map's code for offline use too
      })
      .catch((error) => {
        console.warn('map not shown', error);
        if (!cancelled) setState('failed');
      });
    return () => {
      cancelled = true;
      map.current?.destroy();
      map.current = null;
    };
  }, [where.lat, where.lon]);

  useEffect(() => map.current?.me(position), [position?.lat, position?.lon]);

  // A region, not an image: it holds the zoom buttons and pans with the arrow keys, and an image
  // may contain no controls (axe's nested-interactive).
  return html`
    <div class="o-map">
      <div class="o-map__map" ref=${element} role="region" aria-label=${t('officer.map_label')}></div>
      ${state === 'loading' && html`<p class="o-muted">${t('officer.map_loading')}</p>`}
      ${state === 'failed' && html`<p class="o-muted">${t('officer.map_failed')}</p>`}
    </div>
  `;
}
