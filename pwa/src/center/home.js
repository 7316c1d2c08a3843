import { html } from 'htm/preact';
import { t } from '../core/i18n.js';
import { UserCard } from '../core/ui/user-card.js';
import { useChunk } from '../core/use-chunk.js';

/**
 * The signed-in home: the console, fetched now rather than with the page. It is most of this
 * app's code and no citizen ever needs it, so it stays out of what the service worker precaches
 * for every visitor (the citizen's first-visit budget); once fetched it is cached like any asset.
 */
export function CenterHome({ session, unconfirmed, onSignOut, onSession }) {
  const { module, failed, retry } = useChunk(() => import('./console/console.js'));

  if (module) {
    const { Console } = module;
    return html`<${Console} session=${session} unconfirmed=${unconfirmed} onSignOut=${onSignOut} onSession=${onSession} />`;
  }
  return html`
    <section class="card home">
      <${UserCard} user=${session.user} />
      ${failed
        ? html`
            <p class="form-error" role="alert">${t('center.console_failed')}</p>
            <button type="button" class="button button--primary" onClick=${retry}>
              ${t('center.retry')}
            </button>
          `
        : html`<p class="placeholder" role="status">${t('center.console_loading')}</p>`}
      <button type="button" class="button button--secondary" onClick=${onSignOut}>${t('police.sign_out')}</button>
    </section>
  `;
}
