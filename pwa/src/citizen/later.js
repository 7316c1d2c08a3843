// The parts of the citizen app that the first screen can do without for a few seconds: Yjs and
// the offline queue (services.js), my reports' screens. On a 50 kbit/s link they are ~30 KB
// gzip, ~5 s: fetched by `import()` once the report screen is on screen, never before it. They
// are in the service worker's precache (tools/build/apps.mjs, `deferred`), so offline use after
// the first visit is unchanged.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../core/i18n.js';

let services = null;

/**
 * The services module, started once. A failed fetch (the link dropped) is forgotten, so the next
 * call asks again: a report whose send waits on this is retried, not lost (its draft is kept).
 */
export function loadServices() {
  if (!services) {
    services = import('./services.js').then(
      (module) => {
        module.startServices();
        return module;
      },
      (error) => {
        services = null;
        throw error;
      },
    );
  }
  return services;
}

let screens = null;

function loadScreens() {
  if (!screens) {
    screens = Promise.all([import('./reports/screens.js'), loadServices()]).then(
      ([module]) => module,
      (error) => {
        screens = null;
        throw error;
      },
    );
  }
  return screens;
}

/** `name`: a screen of reports/screens.js, shown once its chunk is here. */
export function LaterScreen({ name, ...props }) {
  const [module, setModule] = useState(null);
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    setFailed(false);
    loadScreens().then(
      (loaded) => current && setModule(() => loaded),
      () => current && setFailed(true),
    );
    return () => {
      current = false;
    };
  }, [attempt]);
  if (failed) {
    return html`
      <section class="card">
        <p class="notice" role="alert">${t('citizen.later.failed')}</p>
        <button type="button" class="button button--primary" onClick=${() => setAttempt((n) => n + 1)}>
          ${t('citizen.later.retry')}
        </button>
      </section>
    `;
  }
  if (!module) return html`<p class="card" role="status">${t('citizen.later.loading')}</p>`;
  const Screen = module[name];
  return html`<${Screen} ...${props} />`;
}
