// Small pieces shared by the admin screens: a user's state and second factor in words, and the
// confirmation asked before a step that cuts someone off.
import { html } from 'htm/preact';
import { getLang } from '../../../core/i18n.js';
import { ConfirmDialog } from '../../../core/ui/confirm-dialog.js';
import { clock } from '../format.js';
import { t } from './i18n.js';

export const roleName = (role) => t(`police.roles.${role}`);

/** The unit's name in the page's language (the code if the list does not have it). */
export function unitLabel(code, units) {
  if (!code) return t('admin.no_unit');
  const unit = units?.find((u) => u.code === code);
  if (!unit) return code;
  return (getLang() === 'en' && unit.name_en) || unit.name;
}

/** Disabled, must change the password, active: a word and a shape (not a colour alone). */
export function StateBadges({ user }) {
  return html`
    <span class="a-states">
      ${user.active
        ? html`<span class="a-badge a-badge--ok">✓ ${t('admin.state.active')}</span>`
        : html`<span class="a-badge a-badge--off">⛔ ${t('admin.state.disabled')}</span>`}
      ${user.must_change_password && html`<span class="a-badge a-badge--warn">${t('admin.state.must_change')}</span>`}
    </span>
  `;
}

/** "Passkey ×2 · TOTP", or "None" said plainly for the roles that need one. */
export function factorText(user) {
  const f = user.second_factor ?? {};
  const parts = [];
  if (f.passkeys) parts.push(t('admin.factor.passkeys', { n: f.passkeys }));
  if (f.totp) parts.push(t('admin.factor.totp'));
  return parts.length ? parts.join(' · ') : t('admin.factor.none');
}

/** A yes/no question before a step that cuts someone off. The safe answer has the focus. */
export function Confirm({ title, text, yes, danger = true, onYes, onNo }) {
  return html`
    <${ConfirmDialog} id="a-confirm" boxClass="a-confirm" actionsClass="a-actions" title=${title} text=${text}
      yes=${{ label: yes, action: 'yes', className: danger ? 'button button--danger' : 'button button--primary' }}
      no=${{ label: t('admin.confirm.no'), action: 'no' }} onYes=${onYes} onNo=${onNo} />
  `;
}

/** A time from the server as the console shows times: seconds or ms since the epoch. */
export const when = (value) => clock(Number.isFinite(value) && value < 1e11 ? value * 1000 : value);
