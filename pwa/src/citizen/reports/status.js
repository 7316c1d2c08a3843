import { html } from 'htm/preact';
import { t } from '../../core/i18n.js';
import { describeError, describeWait, refusedForGood } from '../../core/ui/errors.js';

// Tones of the badge: never told by colour alone, every badge has its word and a shape.
const TONES = {
  saved: 'pending',
  sent: 'sent',
  delivered: 'sent',
  received: 'sent',
  in_progress: 'progress',
  done: 'done',
  not_handled: 'closed',
};
const SHAPES = { pending: '◷', sent: '✓', progress: '➜', done: '✓✓', closed: '✕' };

export function statusLabel(report) {
  // Refused for good: "saved on the phone" would promise a send that will never happen.
  if (report.status === 'saved' && report.held && refusedForGood(report.failure)) return t('citizen.status.not_accepted');
  const label = t(`citizen.status.${report.status}`);
  if (report.status === 'not_handled' && report.reason) {
    return `${label}: ${t(`citizen.status.reasons.${report.reason}`)}`;
  }
  return label;
}

/** The finer stage under the headline (police on the way, on scene, resolved, closed), or null. */
export function stageLine(report) {
  if (!report.stage || report.status === 'saved') return null;
  return t(`citizen.status.stages.${report.stage}`);
}

export function StatusBadge({ report }) {
  const tone = TONES[report.status] ?? 'sent';
  return html`
    <span class=${`badge badge--${tone}`} data-status=${report.status}>
      <span aria-hidden="true">${SHAPES[tone]}</span> ${statusLabel(report)}
    </span>
  `;
}

/**
 * What the status means, in a sentence; and for a report still on the phone, why it has not
 * gone yet (no network, a refusal with the server's reason, a rate limit and when it retries).
 */
export function statusExplanation(report, online) {
  const lines = [];
  if (report.status === 'saved') {
    lines.push(...failureLines(report));
    if (!lines.length) {
      lines.push({ tone: 'info', text: online ? t('citizen.status.explain.saved_sending') : t('citizen.status.explain.saved_offline') });
    }
    return lines;
  }
  lines.push({ tone: 'info', text: t(`citizen.status.explain.${report.status}`) });
  if (report.status === 'not_handled' && report.reason) {
    lines.push({ tone: 'info', text: t('citizen.status.reason', { reason: t(`citizen.status.reasons.${report.reason}`) }) });
  }
  if (report.merged) lines.push({ tone: 'info', text: t('citizen.status.merged') });
  // A later addition (details, contact) that has not gone yet, and why.
  lines.push(...failureLines(report));
  return lines;
}

function failureLines(report) {
  const failure = report.failure;
  if (!failure) return [];
  if (failure.status === 429) {
    const wait = Math.max(0, ((failure.at ?? Date.now()) + 1000 * (failure.retry_after ?? 60) - Date.now()) / 1000);
    return [{ tone: 'warn', text: t('citizen.status.rate_limited', { wait: describeWait(wait) }) }];
  }
  if (report.held) {
    // Never reached the server and never will as it is: the citizen fixes it or drops it.
    const fix = report.status === 'saved' && refusedForGood(failure);
    if (report.status !== 'saved' && refusedForGood(failure)) {
      return [{ tone: 'error', text: t('citizen.status.change_refused', { error: describeError(failure) }) }];
    }
    return [
      { tone: 'error', text: t('citizen.status.refused', { error: describeError(failure) }) },
      { tone: 'info', text: fix ? t('citizen.status.fix_or_discard') : t('citizen.status.kept') },
    ];
  }
  if (failure.status >= 500) {
    return [{ tone: 'warn', text: t('citizen.status.retrying', { error: describeError(failure) }) }];
  }
  return [];
}
