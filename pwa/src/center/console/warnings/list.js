// The warnings as the police see them: drafts waiting for a second person, those in force with
// their delivery and answers, and what ended. Approve, update and cancel are done from here.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { clock, shortId } from '../format.js';
import { t } from '../i18n.js';
import { areaText, ExerciseBadge, personName, SeverityBadge, StatusBadge } from './parts.js';

/** "Expected (trong giờ tới)": the CAP word, and what it means in plain words. */
const capWord = (word) => `${word} (${t(`center.warnings.cap.${word}`)})`;

const DELIVERY = ['queued', 'delivered', 'failed', 'expired', 'removed', 'pending'];

export function groupsOf(items) {
  const waiting = items.filter((w) => w.status === 'draft');
  const live = items.filter((w) => w.status === 'published' && w.kind !== 'cancel');
  const ended = items.filter((w) => !waiting.includes(w) && !live.includes(w));
  return [['waiting', waiting], ['live', live], ['ended', ended]];
}

export function WarningList({ items, user, focusId, busyId, actionError, onApprove, onUpdate, onCancel }) {
  const list = useRef(null);
  useEffect(() => {
    if (!focusId) return;
    list.current?.querySelector(`[data-warning="${CSS.escape(focusId)}"]`)?.scrollIntoView({ block: 'center' });
  }, [focusId, items === null]);

  if (items === null) return html`<p class="placeholder" role="status">${t('center.warnings.loading')}</p>`;
  return html`
    <div class="w-list" ref=${list}>
      ${groupsOf(items).map(([group, found]) => html`
        <section class="w-group" key=${group} aria-labelledby=${`w-group-${group}`} data-group=${group}>
          <h2 class="w-group__title" id=${`w-group-${group}`}>${t(`center.warnings.groups.${group}`)} <span class="w-group__n">${found.length}</span></h2>
          ${found.length
            ? html`<ul class="w-cards">${found.map((w) => html`
                <${Card} key=${w.id} warning=${w} user=${user} focused=${w.id === focusId} busy=${busyId === w.id}
                  error=${actionError?.id === w.id ? actionError.text : null}
                  onApprove=${onApprove} onUpdate=${onUpdate} onCancel=${onCancel} />`)}</ul>`
            : html`<p class="muted w-group__empty">${t(`center.warnings.empty.${group}`)}</p>`}
        </section>
      `)}
    </div>
  `;
}

function Card({ warning: w, user, focused, busy, error, onApprove, onUpdate, onCancel }) {
  const isCancel = w.kind === 'cancel';
  const classes = ['w-card', `w-card--${w.status}`, w.exercise && 'w-card--exercise', focused && 'w-card--focused'];
  const headingId = `w-card-${w.id}`;
  return html`
    <li class=${classes.filter(Boolean).join(' ')} data-warning=${w.id} data-status=${w.status} data-kind=${w.kind} aria-labelledby=${headingId}>
      <div class="w-card__badges">
        <${StatusBadge} status=${isCancel ? 'cancel_message' : w.status} />
        ${w.exercise && html`<${ExerciseBadge} />`}
        ${!isCancel && html`<${SeverityBadge} severity=${w.severity} />`}
        ${w.kind === 'update' && html`<span class="w-badge">${t('center.warnings.kinds.update')}</span>`}
        <span class="w-card__id">${shortId(w.id)}</span>
      </div>
      <h3 class="w-card__headline" id=${headingId}>${w.headline}</h3>
      <dl class="w-facts">
        <div><dt>${t('center.warnings.facts.area')}</dt><dd>${areaText(w)}</dd></div>
        <div><dt>${t('center.warnings.facts.category')}</dt><dd>${t(`center.warnings.categories.${w.category}`)} · ${capWord(w.urgency)} · ${capWord(w.certainty)}</dd></div>
        <div><dt>${t('center.warnings.facts.author')}</dt><dd>${personName(w.author)} · ${clock(w.created)}</dd></div>
        <div><dt>${t('center.warnings.facts.approver')}</dt><dd>${w.approver ? `${personName(w.approver)} · ${clock(w.sent)}` : t('center.warnings.facts.not_approved')}</dd></div>
        <div><dt>${t('center.warnings.facts.expires')}</dt><dd>${clock(w.expires)}</dd></div>
      </dl>
      ${w.instruction && html`<p class="w-card__instruction"><strong>${t('center.warnings.facts.instruction')}:</strong> ${w.instruction}</p>`}
      ${w.status !== 'draft' && html`<${Delivery} warning=${w} />`}
      ${w.reports?.length > 0 && html`
        <p class="w-card__reports">${t('center.warnings.facts.reports', { n: w.reports.length })}:
          ${w.reports.map((id) => html` <a key=${id} href=${`#/incident/${id}`}>${shortId(id)}</a>`)}
        </p>`}
      <${Actions} warning=${w} user=${user} busy=${busy} onApprove=${onApprove} onUpdate=${onUpdate} onCancel=${onCancel} />
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
    </li>
  `;
}

/** How far it got to the phones, and what the people answered. */
function Delivery({ warning: w }) {
  return html`
    <div class="w-delivery">
      <dl class="w-counts" aria-label=${t('center.warnings.delivery.title')}>
        ${DELIVERY.map((k) => html`
          <div key=${k} class=${`w-count-${k}`} data-count=${k}><dt>${t(`center.warnings.delivery.${k}`)}</dt><dd>${w.delivery?.[k] ?? 0}</dd></div>`)}
      </dl>
      ${w.kind !== 'cancel' && html`
        <dl class="w-counts w-answers" aria-label=${t('center.warnings.answers.title')}>
          <div data-count="safe"><dt>${t('center.warnings.answers.safe')}</dt><dd>${w.answers?.safe ?? 0}</dd></div>
          <div data-count="need_help" class=${w.answers?.need_help ? 'w-help' : ''}><dt>${t('center.warnings.answers.need_help')}</dt><dd>${w.answers?.need_help ?? 0}</dd></div>
        </dl>`}
    </div>
  `;
}

function Actions({ warning: w, user, busy, onApprove, onUpdate, onCancel }) {
  if (w.status === 'draft') {
    const own = String(w.author?.id) === String(user.id);
    const why = own ? t('center.warnings.why.own') : user.role !== 'supervisor' ? t('center.warnings.why.role') : null;
    const whyId = `w-why-${w.id}`;
    return html`
      <div class="w-actions">
        <button type="button" class="button button--primary" data-action="approve" disabled=${Boolean(why) || busy}
          aria-describedby=${why ? whyId : undefined} onClick=${() => onApprove(w)}>
          ${t('center.warnings.actions.approve')}
        </button>
        <button type="button" class="button button--secondary" data-action="discard" disabled=${busy} onClick=${() => onCancel(w)}>
          ${t('center.warnings.actions.discard')}
        </button>
        ${why && html`<p class="w-why" id=${whyId}>${why}</p>`}
      </div>
    `;
  }
  if (w.status !== 'published' || w.kind === 'cancel') return null;
  return html`
    <div class="w-actions">
      <button type="button" class="button button--secondary" data-action="update" disabled=${busy} onClick=${() => onUpdate(w)}>
        ${t('center.warnings.actions.update')}
      </button>
      <button type="button" class="button button--danger" data-action="cancel" disabled=${busy} onClick=${() => onCancel(w)}>
        ${t('center.warnings.actions.cancel')}
      </button>
    </div>
  `;
}
