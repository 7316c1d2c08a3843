import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../core/i18n.js';
import { UserCard } from '../core/ui/user-card.js';

/**
 * The signed-in home: the console, fetched now rather than with the page. It is most of this
 * app's code and no citizen ever needs it, so it stays out of what the service worker precaches
 * for every visitor (the citizen's first-visit budget); once fetched it is cached like any asset.
 */
export function CenterHome({ session, unconfirmed, onSignOut }) {
  const [loaded, setLoaded] = useState(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let current = true;
    setLoaded(null);
    import('./console/console.js').then(
      (module) => current && setLoaded(module),
      () => current && setLoaded('failed'),
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  if (loaded && loaded !== 'failed') {
    const { Console } = loaded;
    return html`<${Console} session=${session} unconfirmed=${unconfirmed} onSignOut=${onSignOut} />`;
  }
  return html`
    <section class="card home">
      <${UserCard} user=${session.user} />
      ${loaded === 'failed'
        ? html`
            <p class="form-error" role="alert">${t('center.console_failed')}</p>
            <button type="button" class="button button--primary" onClick=${() => setAttempt((n) => n + 1)}>
              ${t('center.retry')}
            </button>
          `
        : html`<p class="placeholder" role="status">${t('center.console_loading')}</p>`}
      <button type="button" class="button button--secondary" onClick=${onSignOut}>${t('police.sign_out')}</button>
    </section>
  `;
}
