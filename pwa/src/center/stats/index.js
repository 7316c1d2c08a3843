// `/center/stats`: the statistics page, mounted by the center app in place of the console.
// This file is all the app's entry carries; the page itself (its code, strings and styles, and
// later Leaflet) is fetched after sign-in, so no visitor's precache pays for it.
import { html } from 'htm/preact';
import { t } from '../../core/i18n.js';
import { useChunk } from '../../core/use-chunk.js';

export const isStatsPath = (path = location.pathname) => /^\/center\/stats\/?$/.test(path);

export function StatsHome({ session, unconfirmed, onSignOut }) {
  const { module, failed, retry } = useChunk(() => import('./page.js'));

  if (module) {
    const { StatsPage } = module;
    return html`<${StatsPage} session=${session} unconfirmed=${unconfirmed} onSignOut=${onSignOut} />`;
  }
  return html`
    <section class="card">
      ${failed
        ? html`
            <p class="form-error" role="alert">${t('stats.failed')}</p>
            <button type="button" class="button button--primary" onClick=${retry}>
              ${t('center.retry')}
            </button>
          `
        : html`<p class="placeholder" role="status">${t('stats.loading')}</p>`}
    </section>
  `;
}
