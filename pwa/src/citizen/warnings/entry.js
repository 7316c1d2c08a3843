// The warnings' door in the citizen app's first download: everything else of them (the model,
// the screens, the map) is one chunk fetched on start, after the first screen is up, and cached
// by the service worker from then on (offline too).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../core/i18n.js';

let loading = null;

export function loadWarnings() {
  if (!loading) {
    loading = import('./index.js');
    loading.catch(() => {
      loading = null; // offline before it was ever cached: ask again next time
    });
  }
  return loading;
}

/** Once per page, from the app's start: the list refreshes, waiting answers go out. */
export function startWarnings() {
  loadWarnings()
    .then((m) => m.warnings.start())
    .catch(() => {});
}

/** The screen of a `#/warnings…` route, once its chunk is here. */
export function WarningsRoute({ route }) {
  const [module, setModule] = useState(null);
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    let current = true;
    setFailed(false);
    loadWarnings().then(
      (m) => current && setModule(m),
      () => current && setFailed(true),
    );
    return () => {
      current = false;
    };
  }, [attempt]);
  if (failed) {
    return html`<div class="notice" role="alert">
      ${t('citizen.warnings.chunk_failed')}
      <button type="button" class="button button--secondary" onClick=${() => setAttempt((n) => n + 1)}>
        ${t('citizen.warnings.retry')}
      </button>
    </div>`;
  }
  if (!module) return html`<p class="muted">${t('citizen.warnings.loading')}</p>`;
  return html`<${module.WarningsScreens} route=${route} />`;
}
