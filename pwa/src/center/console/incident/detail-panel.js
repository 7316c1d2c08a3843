// One incident: what happened, where, who is on it, and the dispatcher's actions.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { HttpError } from '../../../core/http-error.js';
import { describeError } from '../../../core/ui/errors.js';
import { categoryLabel, clock, duration, shortId, statusLabel, unitName } from '../format.js';
import { t } from '../i18n.js';
import { OPEN_STATUSES } from '../../../core/incident-fold.js';
import { DispatchForm } from './dispatch-form.js';
import { MediaViewer } from './media-thumbs.js';
import { AssignmentsSection, ReportSection, RoutingSection } from './sections.js';
import { TimelineSection } from './timeline.js';
import { CloseForm, MessageForm, NoteForm, ReopenForm } from './text-forms.js';
import { categoryIcon, MergeForm, RejectForm, VerifyForm } from './triage-forms.js';
import { entryId } from './writer.js';

/** The actions, their keys, and when each is offered. */
export const ACTIONS = [
  { form: 'verify', key: 'v', when: (s) => OPEN_STATUSES.includes(s) },
  { form: 'dispatch', key: 'd', when: (s) => OPEN_STATUSES.includes(s) },
  { form: 'reject', key: 'r', when: (s) => OPEN_STATUSES.includes(s) },
  { form: 'merge', key: 'g', when: (s) => OPEN_STATUSES.includes(s) },
  { form: 'message', key: 'm', when: () => true },
  { form: 'note', key: 'n', when: () => true },
  { form: 'close', key: 'c', when: (s) => OPEN_STATUSES.includes(s) },
  { form: 'reopen', key: 'o', when: (s) => !OPEN_STATUSES.includes(s) },
];

const FORMS = {
  verify: VerifyForm,
  dispatch: DispatchForm,
  reject: RejectForm,
  merge: MergeForm,
  message: MessageForm,
  note: NoteForm,
  close: CloseForm,
  reopen: ReopenForm,
};

export function DetailPanel({
  model, session, canAct, form, onForm, onClose, onOpenIncident, units, timers, now, items, summary,
  mediaOpen, onMedia,
}) {
  const [busy, setBusy] = useState(null); // the form whose change is being sent
  const [error, setError] = useState(null);
  const [done, setDone] = useState(null);
  // The last change whose answer never came (network, server error): sent again as the very same
  // entries if the dispatcher retries it unchanged, so a change the server did take is not doubled.
  const unanswered = useRef(null);
  useEffect(() => {
    setError(null);
  }, [form, model?.id]);
  useEffect(() => {
    if (!done) return undefined;
    const timer = setTimeout(() => setDone(null), 4000);
    return () => clearTimeout(timer);
  }, [done]);

  if (!model) return null;
  const view = model.view();
  const { info, state } = view;
  const user = session.user;

  const entry = (action, fields) => ({
    id: entryId(),
    action,
    by: String(user.id),
    by_name: user.username,
    at: Date.now(),
    ...fields,
  });

  async function act(fresh, submitted = form) {
    const key = JSON.stringify(fresh.map(({ id, at, ...content }) => content));
    const entries = unanswered.current?.key === key ? unanswered.current.entries : fresh;
    setBusy(submitted);
    setError(null);
    try {
      await model.writer.append(entries);
      setDone(t(`center.done.${entries[entries.length - 1].action}`));
      // The server relays the change over the socket too, often before this answer: the
      // dispatcher may already have opened the next form, which must stay open.
      onForm((current) => (current === submitted ? null : current));
      unanswered.current = null;
    } catch (failure) {
      const lost = failure instanceof HttpError && (failure.status === 0 || failure.status >= 500);
      unanswered.current = lost ? { key, entries } : null;
      setError({ form: submitted, text: describeError(failure) });
      throw failure;
    } finally {
      setBusy((current) => (current === submitted ? null : current));
    }
  }
  const submit = (entries) => act(entries).catch(() => {});
  const withdraw = (unit) => act([entry('withdraw', { unit })], 'withdraw');

  if (model.denied) {
    return html`
      <section class="detail">
        <${DetailHead} id=${model.id} onClose=${onClose} />
        <p class="form-error" role="alert">${t('center.detail.denied')}</p>
      </section>
    `;
  }

  const Form = form ? FORMS[form] : null;
  const status = state?.status ?? summary?.status ?? 'new';
  const offered = ACTIONS.filter((a) => a.when(status));
  return html`
    <section class="detail" aria-labelledby="detail-title" data-incident=${model.id} data-status=${status}>
      <${DetailHead}
        id=${model.id}
        category=${state?.category ?? summary?.category}
        priority=${state?.priority ?? summary?.priority}
        status=${status}
        arrived=${info?.arrived_at}
        now=${now}
        viewers=${view.viewers}
        onClose=${onClose}
      />
      ${!view.ready && html`<p class="muted detail__loading">${t('center.detail.loading')}</p>`}
      ${view.ready && canAct && html`
        <div class="detail__actions" role="toolbar" aria-label=${t('center.actions.label')}>
          ${offered.map(
            (a) => html`
              <button
                key=${a.form}
                type="button"
                class=${form === a.form ? 'action action--on' : `action action--${a.form}`}
                aria-pressed=${form === a.form ? 'true' : 'false'}
                aria-keyshortcuts=${a.key}
                onClick=${() => onForm(form === a.form ? null : a.form)}
              >
                ${t(`center.actions.${a.form}`)} <kbd>${a.key.toUpperCase()}</kbd>
              </button>
            `,
          )}
        </div>
      `}
      ${view.ready && !canAct && html`<p class="notice detail__readonly">${t('center.detail.read_only')}</p>`}
      ${done && html`<p class="detail__done" role="status">${done}</p>`}
      ${error?.form === 'withdraw' && html`<p class="form-error detail__error" role="alert">${error.text}</p>`}
      ${Form && view.ready && canAct && html`
        <${Form}
          key=${form}
          incidentId=${model.id}
          info=${info}
          state=${state}
          units=${units}
          items=${items}
          token=${session.token}
          now=${now}
          act=${submit}
          entry=${entry}
          busy=${busy === form}
          error=${error?.form === form ? error.text : null}
          onCancel=${() => onForm(null)}
        />
      `}
      <div class="detail__scroll" tabindex="0" role="region" aria-labelledby="detail-title">
        ${state && html`<${StatusBanner} state=${state} summary=${summary} info=${info} now=${now} timers=${timers} units=${units} onOpenIncident=${onOpenIncident} />`}
        <${ReportSection} report=${view.report} info=${info} token=${session.token} onOpenMedia=${onMedia} />
        <${RoutingSection} info=${info} state=${state} units=${units} />
        <${AssignmentsSection}
          state=${state}
          units=${units}
          timers=${timers}
          now=${now}
          canAct=${canAct && OPEN_STATUSES.includes(status)}
          onWithdraw=${withdraw}
          busy=${busy === 'withdraw'}
        />
        <${TimelineSection}
          dispatch=${view.dispatch}
          timeline=${view.timeline}
          report=${view.report}
          units=${units}
          token=${session.token}
          onOpenMedia=${onMedia}
          onOpenIncident=${onOpenIncident}
        />
      </div>
      ${mediaOpen && html`<${MediaViewer} id=${mediaOpen} token=${session.token} onClose=${() => onMedia(null)} />`}
    </section>
  `;
}

function DetailHead({ id, category, priority, status, arrived, now, viewers = [], onClose }) {
  return html`
    <header class="detail__head">
      ${category && categoryIcon(category)}
      <div class="detail__titles">
        <h2 class="detail__title" id="detail-title">
          ${category ? categoryLabel(category) : t('center.detail.title')}
          ${priority && html` <span class=${`prio prio--${priority}`}>P${priority}</span>`}
          ${status && html` <span class=${`status-pill status-pill--${status}`}>${statusLabel(status)}</span>`}
        </h2>
        <p class="detail__sub">
          <span class="detail__id">${shortId(id)}</span>
          ${Number.isFinite(arrived) && html` · ${t('center.detail.arrived', { time: clock(arrived), ago: duration(now - arrived) })}`}
          ${viewers.length > 0 && html` · <span class="detail__viewers">${t('center.detail.viewers', { names: viewers.map((v) => v.name).join(', ') })}</span>`}
        </p>
      </div>
      <button type="button" class="icon-button" onClick=${onClose} aria-label=${`${t('center.detail.close')} (Esc)`} title=${t('center.detail.close')}>
        <span aria-hidden="true">✕</span> <kbd>Esc</kbd>
      </button>
    </header>
  `;
}

/** Escalations, the triage countdown and the decisions that end the incident, on top. */
function StatusBanner({ state, summary, info, now, timers, units, onOpenIncident }) {
  const lines = [];
  if (summary?.escalation) {
    const [code, unit] = String(summary.escalation).split(':');
    lines.push(html`<p class="banner banner--escalated" role="alert">▲ ${code === 'not_acknowledged' ? t('center.escalation.not_acknowledged', { unit: unitName(unit, units) }) : t('center.escalation.not_triaged')}</p>`);
  }
  if (state.need_support_at) lines.push(html`<p class="banner banner--escalated">▲ ${t('center.escalation.need_support')} (${clock(state.need_support_at)})</p>`);
  if (state.status === 'new' && timers && info?.arrived_at) {
    const left = info.arrived_at + timers.triage_timeout_s * 1000 - now;
    lines.push(html`
      <p class=${left > 0 ? 'banner banner--timer' : 'banner banner--late'}>
        ${left > 0 ? t('center.timers.triage_in', { time: duration(left) }) : t('center.timers.triage_late', { time: duration(-left) })}
      </p>
    `);
  }
  if (state.status === 'rejected') lines.push(html`<p class="banner">${t('center.detail.rejected', { reason: t(`center.reasons.${state.rejected_reason}`) })}</p>`);
  if (state.status === 'merged') {
    lines.push(html`
      <p class="banner">
        ${t('center.detail.merged', { id: shortId(state.merged_into) })}
        <button type="button" class="link-button" onClick=${() => onOpenIncident(state.merged_into)}>${t('center.timeline.open')}</button>
      </p>
    `);
  }
  if (state.status === 'closed') lines.push(html`<p class="banner">${t('center.detail.closed', { outcome: t(`center.outcomes.${state.outcome}`), time: clock(state.closed_at) })}</p>`);
  return lines.length ? html`<div class="banners">${lines}</div>` : null;
}
