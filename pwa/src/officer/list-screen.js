import { html } from 'htm/preact';
import { accountLabel, EnrolReminder } from '../core/ui/enrol-reminder.js';
import { UserCard } from '../core/ui/user-card.js';
import { AVAILABILITY, availability, useAvailability } from './availability.js';
import { useDirectory } from './directory.js';
import { useDuty } from './duty.js';
import { age, metres, useNow } from './format.js';
import { distance, usePosition, watchPosition } from './location.js';
import { officer } from './model.js';
import { PendingBar, Priority, StatusBadge } from './parts.js';
import { PushOffer } from './push.js';
import { SharingChoice } from './sharing-choice.js';
import { t } from './strings.js'; // the officer chunk's strings, then the shared ones

export function ListScreen({ session, alerts, isOfficer, onSignOut }) {
  const list = officer.list();
  const chosen = useAvailability(); // asked until chosen in this session
  const names = useDirectory();
  const { link } = useDuty(); // the banner follows the same machine as everything else
  const asking = isOfficer && availability.asking(chosen);
  const { position, state } = usePosition();
  useNow(30_000); // the ages in the list
  const assigned = list.filter((v) => v.assigned);
  const area = list.filter((v) => !v.assigned);
  const unit = session.user.unit;

  return html`
    <${EnrolReminder} user=${session.user} />
    ${link === 'offline' && html`<p class="notice" role="status" data-link="offline">${t('police.offline_session')}</p>`}
    ${link === 'unreachable' && html`<p class="notice" role="status" data-link="unreachable">${t('officer.link.unreachable')}</p>`}
    ${asking && html`<${AvailabilityPicker} asking=${true} />`}
    ${isOfficer && html`<${SharingChoice} />`}
    <${AlertBanner} alerts=${alerts} />
    ${isOfficer && !asking && html`<${AvailabilityPicker} asking=${false} />`}
    <${PendingBar} />
    ${unit
      ? html`
          ${state === 'ask' &&
          html`<button type="button" class="button button--secondary button--block" onClick=${watchPosition}>
            ${t('officer.location_allow')}
          </button>`}
          ${state === 'denied' && html`<p class="o-muted">${t('officer.location_denied')}</p>`}
          <${Section} id="assigned" title=${t('officer.assigned_heading')} items=${assigned} position=${position}
            empty=${t('officer.assigned_empty')} />
          <${Section} id="area" title=${t('officer.area_heading')} items=${area} position=${position}
            empty=${t('officer.area_empty')} />
        `
      : html`<p class="notice">${t('officer.no_unit')}</p>`}
    <section class="card o-account" aria-label=${t('officer.account')}>
      <${UserCard} user=${session.user} unitName=${unit ? names.unitName(unit) : null} />
      <a class="button button--secondary" href="#/account" data-nav="account">${accountLabel()}</a>
      <${PushOffer} session=${session} />
      <button
        type="button"
        class="o-toggle"
        aria-pressed=${alerts.muted ? 'false' : 'true'}
        onClick=${() => alerts.setMuted(!alerts.muted)}
      >
        <span class="o-toggle__switch" aria-hidden="true"></span>
        <span class="o-toggle__label">${t('officer.sound')}</span>
        <span class="o-toggle__state" aria-hidden="true">${alerts.muted ? t('officer.sound_off') : t('officer.sound_on')}</span>
      </button>
      ${officer.pendingTotal() > 0 && html`<p class="notice">${t('officer.sign_out_pending')}</p>`}
      <button type="button" class="button button--secondary" onClick=${onSignOut}>${t('police.sign_out')}</button>
    </section>
  `;
}

function Section({ id, title, items, position, empty }) {
  return html`
    <section class="o-section" aria-labelledby=${`${id}-heading`}>
      <h2 class="o-section__heading" id=${`${id}-heading`}>${title} <span class="o-count">${items.length}</span></h2>
      ${items.length === 0
        ? html`<p class="o-muted">${empty}</p>`
        : html`<ul class="o-list">${items.map((v) => html`<${Item} key=${v.id} view=${v} position=${position} />`)}</ul>`}
    </section>
  `;
}

function Item({ view, position }) {
  const far = position && view.lat != null ? metres(distance(position, view)) : null;
  const meta = [view.ward_name, far && t('officer.away', { d: far }), age(Date.now() - view.arrived_at)];
  return html`
    <li>
      <a class=${`o-item o-item--p${view.priority}`} href=${`#/incident/${view.id}`} data-incident=${view.id}>
        <span class="o-item__top">
          <${Priority} value=${view.priority} />
          <span class="o-item__category">${t(`citizen.categories.${view.category}.label`)}</span>
          <${StatusBadge} status=${view.status} />
        </span>
        <span class="o-item__meta">${meta.filter(Boolean).join(' · ')}</span>
        ${view.summary && html`<span class="o-item__text">${view.summary}</span>`}
        ${(view.pending > 0 || view.need_support) &&
        html`<span class="o-item__flags">
          ${view.pending > 0 && html`<span class="o-flag o-flag--pending">${t('officer.pending_n', { n: view.pending })}</span>`}
          ${view.need_support && html`<span class="o-flag o-flag--support">${t('officer.step.need_support')}</span>`}
        </span>`}
      </a>
    </li>
  `;
}

function AlertBanner({ alerts }) {
  if (!alerts.items.length) return null;
  const assigned = alerts.items.some((v) => v.assigned);
  return html`
    <section class=${`o-alert${assigned ? ' o-alert--assigned' : ''}`} role="alert" aria-labelledby="alert-heading">
      <h2 id="alert-heading" class="o-alert__heading">
        ${assigned ? t('officer.alert_assigned') : t('officer.alert_new')}
      </h2>
      <ul class="o-alert__list">
        ${alerts.items.slice(0, 3).map(
          (v) => html`<li key=${v.id}>
            <a class="button button--light button--block" href=${`#/incident/${v.id}`}>
              P${v.priority} · ${t(`citizen.categories.${v.category}.label`)}${v.ward_name ? ` · ${v.ward_name}` : ''}
              ${!v.assigned && assigned && ` (${t('officer.alert_area_tag')})`}
            </a>
          </li>`,
        )}
      </ul>
      <button type="button" class="button o-alert__dismiss" onClick=${alerts.dismiss}>${t('officer.alert_dismiss')}</button>
    </section>
  `;
}

function AvailabilityPicker({ asking }) {
  const value = useAvailability();
  return html`
    <fieldset class=${asking ? 'o-availability o-availability--ask' : 'o-availability'} aria-describedby=${asking ? 'availability-ask-hint' : undefined}>
      <legend class="o-availability__legend">
        ${asking ? t('officer.availability.ask') : t('officer.availability.label')}
        ${value.pending && html`<span class="o-flag o-flag--pending">${t('officer.not_sent')}</span>`}
      </legend>
      ${asking && html`<p class="o-availability__hint" id="availability-ask-hint">${t('officer.availability.ask_hint')}</p>`}
      <div class="o-availability__options">
        ${AVAILABILITY.map(
          (status) => html`
            <button
              type="button"
              class=${`o-availability__option o-availability__option--${status}`}
              aria-pressed=${value.status === status ? 'true' : 'false'}
              onClick=${() => availability.set(status)}
            >${t(`officer.availability.${status}`)}</button>
          `,
        )}
      </div>
      ${value.error && html`<p class="form-error">${t('officer.availability.refused')}</p>`}
    </fieldset>
  `;
}
