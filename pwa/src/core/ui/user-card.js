import { html } from 'htm/preact';
import { t } from '../i18n.js';

/** Who is signed in on this device: shown on every police home so a shared phone is not misused. */
/** `unitName`: the unit's name, when the app knows it (the code stays beside it, smaller). */
export function UserCard({ user, unitName }) {
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
        <dd>
          ${!user.unit
            ? t('police.no_unit')
            : unitName && unitName !== user.unit
              ? html`${unitName} <span class="user-card__code">${user.unit}</span>`
              : user.unit}
        </dd>
      </div>
    </dl>
  `;
}
