// One incident: what happened, where, who is on it, and the dispatcher's actions.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { HttpError } from '../../../core/http-error.js';
import { describeError } from '../../../core/ui/errors.js';
import { categoryLabel, clock, shortId, spoken, statusLabel, unitName } from '../format.js';
import { t } from '../i18n.js';
import { OPEN_STATUSES } from '../../../core/incident-fold.js';
import { DispatchForm } from './dispatch-form.js';
import { EvidenceButton } from './evidence-button.js';
import { MediaViewer } from './media-thumbs.js';
import { AssignmentsSection, ReportSection, RoutingSection } from './sections.js';
import { TimelineSection } from './timeline.js';
import { CloseForm, MessageForm, NoteForm, ReopenForm } from './text-forms.js';
import { categoryIcon, MergeForm, RejectForm, VerifyForm } from './triage-forms.js';
import { entryId } from './writer.js';
import { placeOf, SilentSection } from './silent-trail.js';

// Triage and dispatch are for an incident still being handled: once the units report it resolved,
// or it is closed, rejected or merged, what is left is to close it, reopen it, or write.
const HANDLING = OPEN_STATUSES.filter((s) => s !== 'resolved');
const handling = (s) => HANDLING.includes(s);

/**
 * The actions, their keys, and when each may be done. `fixed`: always in the toolbar, disabled when
 * not allowed (the dispatcher sees that triage is over, not that the buttons moved); the others
 * appear only when allowed.
 */
export const ACTIONS = [
  { form: 'verify', key: 'v', when: handling, fixed: true },
  { form: 'dispatch', key: 'd', when: handling, fixed: true },
  { form: 'reject', key: 'r', when: handling, fixed: true },
  { form: 'merge', key: 'g', when: handling, fixed: true },
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

  // A form whose action the incident no longer allows (resolved meanwhile, say) is not drawn.
  const Form = form && ACTIONS.find((a) => a.form === form)?.when(state?.status ?? summary?.status ?? 'new') ? FORMS[form] : null;
  const status = state?.status ?? summary?.status ?? 'new';
  const offered = ACTIONS.filter((a) => a.fixed || a.when(status));
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
                disabled=${!a.when(status)}
                title=${a.when(status) ? undefined : t('center.actions.not_now', { status: statusLabel(status) })}
                onClick=${() => onForm(form === a.form ? null : a.form)}
              >
                ${t(`center.actions.${a.form}`)} <kbd>${a.key.toUpperCase()}</kbd>
              </button>
            `,
          )}
        </div>
      `}
      ${view.ready && !canAct && html`<p class="notice detail__readonly">${t('center.detail.read_only')}</p>`}
      <${EvidenceButton} key=${`evidence-${model.id}`} incidentId=${model.id} role=${user.role} token=${session.token} />
      ${done && html`<p class="detail__done" role="status">${done}</p>`}
      ${error?.form === 'withdraw' && html`<p class="form-error detail__error" role="alert">${error.text}</p>`}
      ${Form && view.ready && canAct && html`
        <${Form}
          key=${form}
          incidentId=${model.id}
          info=${placeOf(info, view.report)}
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
        <${SilentSection} report=${view.report} now=${now} />
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
          ${Number.isFinite(arrived) && html` · ${t('center.detail.arrived', { time: clock(arrived), ago: spoken(now - arrived) })}`}
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
  const [code, unit] = String(summary?.escalation ?? '').split(':');
  const left = state.status === 'new' && timers && info?.arrived_at
    ? info.arrived_at + timers.triage_timeout_s * 1000 - now
    : null;
  // Late for triage is said once: the server's escalation and the console's own countdown past
  // zero are the same fact, shown as one alert with how late it is.
  if (code === 'not_triaged' || (left !== null && left <= 0)) {
    const late = left !== null && left <= 0 ? t('center.timers.triage_late', { time: spoken(-left) }) : t('center.escalation.not_triaged');
    lines.push(html`<p class="banner banner--escalated" role="alert" data-banner="triage-late">▲ ${late}</p>`);
  } else if (code) {
    const text = code === 'not_acknowledged' ? t('center.escalation.not_acknowledged', { unit: unitName(unit, units) }) : t('center.escalation.other');
    lines.push(html`<p class="banner banner--escalated" role="alert">▲ ${text}</p>`);
  }
  if (state.need_support_at) lines.push(html`<p class="banner banner--escalated">▲ ${t('center.escalation.need_support')} (${clock(state.need_support_at)})</p>`);
  if (left !== null && left > 0) {
    lines.push(html`<p class="banner banner--timer">${t('center.timers.triage_in', { time: spoken(left) })}</p>`);
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
