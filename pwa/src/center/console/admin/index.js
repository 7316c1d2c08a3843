// `/center/#/admin`: the accounts screens (issue 25), for admins only, in place of the queue, map
// and incident. Their code and styles are a chunk of their own, fetched when the screen opens.
import { html } from 'htm/preact';
import { useChunk } from '../../../core/use-chunk.js';
import { t } from '../i18n.js';

const HASH = /^#\/admin\/?$/;

/** Whether the hash is the admin screen's and `user` may see it (another role stays on the queue). */
export function adminRoute(user, hash = location.hash) {
  return user?.role === 'admin' && HASH.test(hash);
}

export function AdminHome({ session }) {
  const { module, failed, retry } = useChunk(() => import('./screen.js'));
  if (module) {
    const { AdminScreen } = module;
    return html`<${AdminScreen} session=${session} />`;
  }
  return html`
    <section class="w-loading">
      ${failed
        ? html`
            <p class="form-error" role="alert">${t('center.admin.chunk_failed')}</p>
            <button type="button" class="button button--primary" onClick=${retry}>${t('center.warnings.retry')}</button>
          `
        : html`<p class="placeholder" role="status">${t('center.admin.loading')}</p>`}
    </section>
  `;
}
