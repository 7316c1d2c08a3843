// What the incident panel shows: the citizen's report, where routing sent it, and each unit's
// assignment with its own timestamps.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { categoryLabel, channelLabel, clock, coordinates, duration, metres, spoken, unitName } from '../format.js';
import { t } from '../i18n.js';
import { isActive, stageOf, STAGE_FIELD } from '../../../core/incident-fold.js';
import { MediaThumbs } from './media-thumbs.js';

export function ReportSection({ report, info, token, onOpenMedia }) {
  if (!report) {
    return html`<section class="section"><h3 class="section__title">${t('center.report.title')}</h3><p class="muted">${t('center.report.loading')}</p></section>`;
  }
  const arrived = info?.arrived_at;
  const created = report.created_at;
  const lag = Number.isFinite(arrived) && Number.isFinite(created) ? arrived - created : null;
  const hasPlace = Number.isFinite(report.lat) && Number.isFinite(report.lon);
  const contact = report.contact ?? {};
  return html`
    <section class="section" aria-labelledby="report-title">
      <h3 class="section__title" id="report-title">${t('center.report.title')}</h3>
      <p class="report__description">${report.description?.trim() || html`<span class="muted">${t('center.report.no_description')}</span>`}</p>
      <dl class="facts">
        <div><dt>${t('center.report.category')}</dt><dd>${categoryLabel(report.category)}</dd></div>
        <div>
          <dt>${t('center.report.created_at')}</dt>
          <dd>${clock(created)}</dd>
        </div>
        <div>
          <dt>${t('center.report.arrived_at')}</dt>
          <dd>
            ${clock(arrived)}
            ${lag !== null && Math.abs(lag) >= 60_000 && html`
              <span class="muted"> (${t(lag > 0 ? 'center.report.lag_late' : 'center.report.lag_clock', { time: spoken(lag) })})</span>
            `}
          </dd>
        </div>
        <div class="facts__wide">
          <dt>${t('center.report.location')}</dt>
          <dd>
            ${hasPlace
              ? html`${coordinates(report.lat, report.lon)}${Number.isFinite(report.accuracy) ? html` <strong>± ${metres(report.accuracy)}</strong>` : ''}`
              : html`<span class="flag flag--warn">${t('center.flags.no_location')}</span>`}
          </dd>
        </div>
        <div class="facts__wide">
          <dt>${t('center.report.ward')}</dt>
          <dd>
            ${info?.ward_name ? `${info.ward_name} (${info.ward_code})` : t('center.queue.no_ward')}
            ${info?.outside && !info?.no_location && html` <span class="flag flag--warn">${t('center.flags.outside')}</span>`}
            ${info?.boundary_approximate && html` <span class="flag flag--warn">${t('center.flags.boundary_approximate')}</span>`}
            ${info?.approximate && html` <span class="flag flag--warn">${t('center.intake.approximate_flag')}</span>`}
            ${info?.channel && info.channel !== 'app' && html` <span class="flag flag--channel" data-channel=${info.channel}>${channelLabel(info.channel)}${info.author ? ` · ${info.author}` : ''}</span>`}
          </dd>
        </div>
        <div class="facts__wide">
          <dt>${t('center.report.contact')}</dt>
          <dd>
            ${contact.name || contact.phone
              ? html`${contact.name || ''} ${contact.phone && (report.silent
                  ? html`${contact.phone} <span class="flag flag--warn">${t('center.silent.no_call_short')}</span>`
                  : html`<a href=${`tel:${contact.phone.replace(/[^+0-9]/g, '')}`}>${contact.phone}</a>`)}`
              : html`<span class="muted">${t('center.report.no_contact')}</span>`}
          </dd>
        </div>
      </dl>
      ${report.media?.length > 0 && html`<h4 class="section__sub">${t('center.report.media', { n: report.media.length })}</h4>`}
      <${MediaThumbs} reportId=${info?.report} ids=${report.media} token=${token} onOpen=${onOpenMedia} />
    </section>
  `;
}

export function RoutingSection({ info, state, units }) {
  if (!info) return null;
  const active = new Set(Object.values(state?.assignments ?? {}).filter(isActive).map((a) => a.unit));
  const routed = (info.routed_units ?? []).filter((u) => u !== 'center');
  return html`
    <section class="section" aria-labelledby="routing-title">
      <h3 class="section__title" id="routing-title">${t('center.routing.title')}</h3>
      <ul class="routed">
        ${routed.map(
          (code) => html`
            <li key=${code} class=${active.has(code) ? 'routed__unit routed__unit--on' : 'routed__unit'}>
              <span>${unitName(code, units)}</span>
              <small>${code === info.ward_unit ? t('center.routing.ward_unit') : t('center.routing.department')}${active.has(code) ? ` · ${t('center.routing.assigned')}` : ''}</small>
            </li>
          `,
        )}
        ${!routed.length && html`<li class="muted">${t('center.routing.none')}</li>`}
      </ul>
    </section>
  `;
}

const STAMP_LABELS = ['dispatched', 'acknowledged', 'en_route', 'on_scene', 'resolved'];

export function AssignmentsSection({ state, units, timers, now, canAct, onWithdraw, busy }) {
  const list = Object.values(state?.assignments ?? {}).sort(
    (a, b) => Number(isActive(b)) - Number(isActive(a)) || a.dispatched_at - b.dispatched_at,
  );
  return html`
    <section class="section" aria-labelledby="assign-title">
      <h3 class="section__title" id="assign-title">${t('center.assignments.title')} <span class="muted">(${list.filter(isActive).length})</span></h3>
      ${!list.length && html`<p class="muted">${t('center.assignments.none')}</p>`}
      ${list.map(
        (a) => html`
          <${AssignmentCard}
            key=${a.unit}
            a=${a}
            units=${units}
            timers=${timers}
            now=${now}
            canAct=${canAct}
            onWithdraw=${onWithdraw}
            busy=${busy}
          />
        `,
      )}
    </section>
  `;
}

function AssignmentCard({ a, units, timers, now, canAct, onWithdraw, busy }) {
  const [confirming, setConfirming] = useState(false);
  const active = isActive(a);
  const stage = stageOf(a);
  const waitingAck = active && a.acknowledged_at == null && timers;
  const left = waitingAck ? a.dispatched_at + timers.ack_timeout_s * 1000 - now : 0;
  return html`
    <article class=${active ? 'assignment' : 'assignment assignment--withdrawn'} data-assignment=${a.unit}>
      <header class="assignment__head">
        <strong>${unitName(a.unit, units)}</strong>
        <span class=${`stage stage--${active ? stage : 'withdrawn'}`}>${active ? t(`center.stages.${stage}`) : t('center.assignments.withdrawn')}</span>
        ${active && canAct && !confirming && html`
          <button type="button" class="link-button" onClick=${() => setConfirming(true)}>${t('center.assignments.withdraw')}</button>
        `}
      </header>
      ${confirming && html`
        <p class="assignment__confirm">
          ${t('center.assignments.withdraw_confirm')}
          <button type="button" class="button button--danger button--small" disabled=${busy} onClick=${() => onWithdraw(a.unit).then(() => setConfirming(false), () => {})}>
            ${t('center.assignments.withdraw_yes')}
          </button>
          <button type="button" class="button button--secondary button--small" onClick=${() => setConfirming(false)}>${t('center.actions.cancel')}</button>
        </p>
      `}
      <ol class="stamps">
        ${STAMP_LABELS.map((name) => {
          const at = a[STAGE_FIELD[name]];
          const reached = at != null;
          return html`
            <li key=${name} class=${reached ? 'stamp stamp--done' : 'stamp'} data-stamp=${name}>
              <span class="stamp__label">${t(`center.stamps.${name}`)}</span>
              <span class="stamp__time">${reached ? clock(at) : '–'}</span>
              ${reached && name !== 'dispatched' && html`<span class="stamp__delta">+${duration(at - a.dispatched_at)}</span>`}
            </li>
          `;
        })}
      </ol>
      ${!active && html`<p class="muted">${t('center.assignments.withdrawn_at', { time: clock(a.withdrawn_at) })}</p>`}
      ${waitingAck && html`
        <p class=${left > 0 ? 'flag flag--timer' : 'flag flag--late'}>
          ${left > 0 ? t('center.timers.ack_in', { time: spoken(left) }) : t('center.timers.ack_late', { time: spoken(-left) })}
        </p>
      `}
      ${a.instructions && html`<p class="assignment__instructions"><span class="muted">${t('center.assignments.instructions')}:</span> ${a.instructions}</p>`}
    </article>
  `;
}
