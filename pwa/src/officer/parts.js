// Small pieces shared by the list and the incident screen.
import { html } from 'htm/preact';
import { t } from '../core/i18n.js';
import { useOnline } from '../core/online.js';
import { describeError } from '../core/ui/errors.js';
import { availability, useAvailability } from './availability.js';
import { officer } from './model.js';

export function Priority({ value }) {
  return html`<span class=${`o-prio o-prio--${value}`} title=${t('officer.priority')}>P${value}</span>`;
}

export function StatusBadge({ status }) {
  return html`<span class=${`o-status o-status--${status}`}>${t(`officer.status.${status}`)}</span>`;
}

/** What is still waiting to be sent from this phone, and a way to send it now. */
export function PendingBar() {
  const online = useOnline();
  const choice = useAvailability();
  const waiting = officer.pendingTotal() + (choice.pending ? 1 : 0);
  const held = [...officer.queue.values()].find((e) => e.held && e.error);
  if (!waiting && !held) {
    return html`<p class="o-sync o-sync--ok" role="status" data-pending="0">${t('officer.all_sent')}</p>`;
  }
  return html`
    <div class="o-sync o-sync--waiting" role="status" data-pending=${waiting}>
      <p class="o-sync__count">${t('officer.waiting_n', { n: waiting })}</p>
      ${held
        ? html`<p class="form-error">${describeError(held.error)}</p>`
        : html`<p>${online ? t('officer.sending') : t('officer.waiting_network')}</p>`}
      <button
        type="button"
        class="button button--secondary"
        onClick=${() => {
          officer.retry();
          availability.send();
        }}
      >${t('officer.send_now')}</button>
    </div>
  `;
}

/** A photo's small copy, once the server has made it; a placeholder until then (or offline). */
export function Thumb({ id }) {
  const hide = (event) => {
    event.currentTarget.closest('.o-thumb')?.classList.add('o-thumb--missing');
  };
  return html`
    <a class="o-thumb" href=${`/media/${id}/display`} target="_blank" rel="noopener">
      <img src=${`/media/${id}/thumb`} alt=${t('officer.photo')} loading="lazy" onError=${hide} />
      <span class="o-thumb__missing">${t('officer.photo_waiting')}</span>
    </a>
  `;
}
