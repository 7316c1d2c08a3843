// Small pieces shared by the admin screens: a user's state and second factor in words, and the
// confirmation asked before a step that cuts someone off.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { getLang } from '../../../core/i18n.js';
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
  const box = useRef(null);
  useEffect(() => box.current?.querySelector('[data-action=no]')?.focus(), []);
  useEffect(() => {
    const key = (e) => e.key === 'Escape' && onNo();
    addEventListener('keydown', key);
    return () => removeEventListener('keydown', key);
  }, []);
  return html`
    <div class="overlay" onClick=${onNo}>
      <div class="overlay__box a-confirm" role="alertdialog" aria-modal="true" aria-labelledby="a-confirm-title"
        aria-describedby="a-confirm-text" ref=${box} onClick=${(e) => e.stopPropagation()}>
        <h2 id="a-confirm-title" class="overlay__title">${title}</h2>
        <p id="a-confirm-text">${text}</p>
        <div class="a-actions">
          <button type="button" class=${danger ? 'button button--danger' : 'button button--primary'} data-action="yes" onClick=${onYes}>${yes}</button>
          <button type="button" class="button button--secondary" data-action="no" onClick=${onNo}>${t('admin.confirm.no')}</button>
        </div>
      </div>
    </div>
  `;
}

/** A time from the server as the console shows times: seconds or ms since the epoch. */
export const when = (value) => clock(Number.isFinite(value) && value < 1e11 ? value * 1000 : value);
