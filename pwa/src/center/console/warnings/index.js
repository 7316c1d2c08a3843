// `/center/#/warnings` (and `#/warnings/ID`, where a supervisor's push for a draft leads): the
// warnings screen in place of the queue, map and incident. Its code, styles and Leaflet map are a
// chunk of their own, fetched the first time the screen opens: most shifts never draft a warning.
import { html } from 'htm/preact';
import { useChunk } from '../../../core/use-chunk.js';
import { t } from '../i18n.js';

const HASH = /^#\/warnings(?:\/([A-Za-z0-9_-]{1,64}))?\/?$/;

/** null when the hash is not the warnings screen's; else `{id}` (the warning to show, or null). */
export function warningsRoute(hash = location.hash) {
  const found = HASH.exec(hash);
  return found ? { id: found[1] ?? null } : null;
}

export function WarningsHome({ session, focusId }) {
  const { module, failed, retry } = useChunk(() => import('./screen.js'));
  if (module) {
    const { WarningsScreen } = module;
    return html`<${WarningsScreen} session=${session} focusId=${focusId} />`;
  }
  return html`
    <section class="w-loading">
      ${failed
        ? html`
            <p class="form-error" role="alert">${t('center.warnings.chunk_failed')}</p>
            <button type="button" class="button button--primary" onClick=${retry}>${t('center.warnings.retry')}</button>
          `
        : html`<p class="placeholder" role="status">${t('center.warnings.loading')}</p>`}
    </section>
  `;
}
