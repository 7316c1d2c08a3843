import { html } from 'htm/preact';
import { t } from '../core/i18n.js';
import { UserCard } from '../core/ui/user-card.js';

/** Placeholder home until the live queue lands (a later issue). */
export function CenterHome({ session, unconfirmed, onSignOut }) {
  return html`
    <section class="card home">
      <${UserCard} user=${session.user} />
      ${unconfirmed && html`<p class="notice" role="status">${t('police.offline_session')}</p>`}
      <p class="placeholder">${t('center.home_placeholder')}</p>
      <button type="button" class="button button--secondary" onClick=${onSignOut}>
        ${t('police.sign_out')}
      </button>
    </section>
  `;
}
