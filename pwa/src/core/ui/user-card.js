import { html } from 'htm/preact';
import { t } from '../i18n.js';

/** Who is signed in on this device: shown on every police home so a shared phone is not misused. */
export function UserCard({ user }) {
  return html`
    <dl class="user-card">
      <div>
        <dt>${t('police.signed_in_as')}</dt>
        <dd class="user-card__name">${user.username}</dd>
      </div>
      <div>
        <dt>${t('police.role')}</dt>
        <dd>${t(`police.roles.${user.role}`)}</dd>
      </div>
      <div>
        <dt>${t('police.unit')}</dt>
        <dd>${user.unit ?? t('police.no_unit')}</dd>
      </div>
    </dl>
  `;
}
