// `/center/stats`: the statistics page, mounted by the center app in place of the console.
// This file is all the app's entry carries; the page itself (its code, strings and styles, and
// later Leaflet) is fetched after sign-in, so no visitor's precache pays for it.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../core/i18n.js';

export const isStatsPath = (path = location.pathname) => /^\/center\/stats\/?$/.test(path);

export function StatsHome({ session, unconfirmed, onSignOut }) {
  const [loaded, setLoaded] = useState(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    setLoaded(null);
    import('./page.js').then(
      (module) => current && setLoaded(module),
      () => current && setLoaded('failed'),
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  if (loaded && loaded !== 'failed') {
    const { StatsPage } = loaded;
    return html`<${StatsPage} session=${session} unconfirmed=${unconfirmed} onSignOut=${onSignOut} />`;
  }
  return html`
    <section class="card">
      ${loaded === 'failed'
        ? html`
            <p class="form-error" role="alert">${t('stats.failed')}</p>
            <button type="button" class="button button--primary" onClick=${() => setAttempt((n) => n + 1)}>
              ${t('center.retry')}
            </button>
          `
        : html`<p class="placeholder" role="status">${t('stats.loading')}</p>`}
    </section>
  `;
}
