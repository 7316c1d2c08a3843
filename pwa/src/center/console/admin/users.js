// The user table: one row per account with what an admin checks at a glance (role, unit, phone,
// second factor, open sessions, state); the name opens the account's panel.
import { html } from 'htm/preact';
import { t } from './i18n.js';
import { PAGE } from './model.js';
import { factorText, roleName, StateBadges, unitLabel } from './parts.js';

export function UserTable({ data, units, selectedId, offset, onOpen, onPage }) {
  if (data === null) return html`<p class="placeholder" role="status">${t('admin.loading')}</p>`;
  const { users, total } = data;
  if (!users.length) return html`<p class="a-empty">${t('admin.users.none')}</p>`;
  const last = Math.min(total, offset + users.length);
  return html`
    <table class="a-table">
      <caption class="a-table__caption">${t('admin.users.caption', { from: offset + 1, to: last, total })}</caption>
      <thead>
        <tr>
          <th scope="col">${t('admin.users.cols.user')}</th>
          <th scope="col">${t('admin.users.cols.role')}</th>
          <th scope="col">${t('admin.users.cols.unit')}</th>
          <th scope="col">${t('admin.users.cols.phone')}</th>
          <th scope="col">${t('admin.users.cols.factor')}</th>
          <th scope="col" class="num">${t('admin.users.cols.sessions')}</th>
          <th scope="col">${t('admin.users.cols.state')}</th>
        </tr>
      </thead>
      <tbody>
        ${users.map((u) => html`
          <tr key=${u.id} data-user=${u.username} class=${[u.id === selectedId && 'a-row--on', !u.active && 'a-row--off'].filter(Boolean).join(' ')}>
            <th scope="row">
              <button type="button" class="a-row__open" aria-expanded=${u.id === selectedId ? 'true' : 'false'} onClick=${() => onOpen(u)}>
                <span class="a-row__name">${u.display_name || u.username}</span>
                <span class="a-row__login">${u.username}</span>
              </button>
            </th>
            <td>${roleName(u.role)}</td>
            <td>${unitLabel(u.unit, units)}</td>
            <td class="a-phone">${u.phone || '–'}</td>
            <td class=${(u.second_factor?.totp || u.second_factor?.passkeys) ? '' : 'a-none'}>${factorText(u)}</td>
            <td class="num">${u.sessions ?? 0}</td>
            <td><${StateBadges} user=${u} /></td>
          </tr>`)}
      </tbody>
    </table>
    ${total > PAGE && html`
      <nav class="a-pager" aria-label=${t('admin.users.pages')}>
        <button type="button" class="button button--secondary button--small" disabled=${offset === 0}
          onClick=${() => onPage(Math.max(0, offset - PAGE))}>← ${t('admin.users.previous')}</button>
        <span>${t('admin.users.page', { page: Math.floor(offset / PAGE) + 1, pages: Math.ceil(total / PAGE) })}</span>
        <button type="button" class="button button--secondary button--small" disabled=${last >= total}
          onClick=${() => onPage(offset + PAGE)}>${t('admin.users.next')} →</button>
      </nav>`}
  `;
}
