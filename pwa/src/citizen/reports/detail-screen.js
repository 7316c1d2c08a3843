import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../core/i18n.js';
import { describeError, refusedForGood } from '../../core/ui/errors.js';
import { useOnline } from '../../core/online.js';
import { ContactForm } from '../contact/contact-form.js';
import { reportContact, wasAsked } from '../contact/contact.js';
import { formatCoord, formatTime } from '../format.js';
import { saveDraft } from '../report/draft.js';
import { MediaList } from '../report/media-list.js';
import { go } from '../router.js';
import { StatusBadge, stageLine, statusExplanation } from './status.js';
import { Thread } from './thread.js';
import { useReports } from './use-reports.js';

export function ReportDetailScreen({ id }) {
  const model = useReports();
  const online = useOnline();
  const [ready, setReady] = useState(false);
  const [askContact, setAskContact] = useState(false);

  useEffect(() => {
    model.start().then(() => setReady(true));
    model.setFocus(id);
    wasAsked().then((asked) => setAskContact(!asked));
    return () => model.setFocus(null);
  }, [id]);

  const report = model.view(id);
  if (!report) {
    return ready ? html`<p class="card">${t('citizen.detail.not_found')}</p>` : null;
  }
  const category = t(`citizen.categories.${report.category}.label`);

  function contactGiven(contact) {
    setAskContact(false);
    const value = reportContact(contact);
    if (value) model.setContact(id, value);
  }

  return html`
    <article class="report-detail" aria-labelledby="report-heading">
      <p><a class="back-link" href="#/reports">← ${t('citizen.detail.back')}</a></p>
      <h2 class="screen-heading" id="report-heading">${category}</h2>
      ${report.unread.length > 0 && html`<${MessageNotice} report=${report} onRead=${() => model.markRead(id)} />`}
      <section class=${`card status-card status-card--${report.status}`} aria-label=${t('citizen.detail.status')}>
        <p class="status-card__badge"><${StatusBadge} report=${report} /></p>
        ${stageLine(report) &&
        html`<p class="status-card__stage" data-stage=${report.stage}>${stageLine(report)}</p>`}
        ${statusExplanation(report, online).map(
          (line) => html`<p class=${`status-card__line status-card__line--${line.tone}`}>${line.text}</p>`,
        )}
        ${report.held && fixable(report)
          ? html`<${FixOrDiscard} id=${id} model=${model} />`
          : report.held && refusedForGood(report.failure)
            ? html`<${DropChange} id=${id} model=${model} />`
            : report.held &&
              html`<button type="button" class="button button--primary" onClick=${() => model.retry(id)}>
                ${t('citizen.status.retry')}
              </button>`}
        ${report.status !== 'saved' && !online &&
        html`<p class="status-card__line status-card__line--warn">${t('citizen.detail.live_offline')}</p>`}
        <p class="muted">
          ${t('citizen.detail.made_at', { time: formatTime(report.created_at) })}
          ${report.sent_at && html`<br />${t('citizen.detail.sent_at', { time: formatTime(report.sent_at) })}`}
        </p>
      </section>
      ${!fixable(report) && html`<${Thread} report=${report} onAdd=${(text) => model.markRead(id).then(() => model.addMessage(id, text))} />`}
      ${askContact && !report.contact && !fixable(report) &&
      html`<${ContactForm} compact=${true} onDone=${contactGiven} />`}
      <section class="card" aria-labelledby="what-heading">
        <h2 class="card__heading" id="what-heading">${t('citizen.detail.what')}</h2>
        <dl class="facts">
          <div>
            <dt>${t('citizen.detail.description')}</dt>
            <dd>${report.description || t('citizen.detail.no_description')}</dd>
          </div>
          <div>
            <dt>${t('citizen.detail.location')}</dt>
            <dd>
              ${report.location
                ? typeof report.location.accuracy === 'number'
                  ? t('citizen.detail.location_value', {
                      lat: formatCoord(report.location.lat),
                      lon: formatCoord(report.location.lon),
                      m: report.location.accuracy,
                    })
                  : t('citizen.detail.location_placed', {
                      lat: formatCoord(report.location.lat),
                      lon: formatCoord(report.location.lon),
                    })
                : t('citizen.detail.no_location')}
            </dd>
          </div>
          ${report.contact &&
          html`<div>
            <dt>${t('citizen.contact.heading')}</dt>
            <dd>${[report.contact.name, report.contact.phone].filter(Boolean).join(' · ')}</dd>
          </div>`}
        </dl>
        ${report.media.length > 0 &&
        html`<h3 class="subheading">${t('citizen.detail.media')}</h3>
          <${MediaList} items=${report.media} progress=${report.progress} />
          ${report.media.some((m) => m.state === 'waiting') &&
          html`<p class="muted">${t('citizen.media.waiting_note')}</p>`}
          ${report.media
            .filter((m) => m.state === 'refused')
            .map(
              (m) => html`<p class="notice notice--error" role="alert" data-media-refused=${m.localId} key=${m.localId}>
                <strong>${m.name}</strong>: ${describeError({ status: 422, ...m.refused })}
              </p>`,
            )}`}
      </section>
    </article>
  `;
}

/** Refused for good before the server ever took it: sending it again can only fail the same way. */
export const fixable = (report) => report.status === 'saved' && refusedForGood(report.failure);

/**
 * "Sửa" puts the report back on the report screen with everything kept; "Bỏ" drops it, after
 * asking once (a report is hard to write again in an emergency).
 */
function FixOrDiscard({ id, model }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);

  async function withdraw(keep) {
    setBusy(true);
    const draft = await model.withdraw(id, { keep });
    if (draft) saveDraft(draft);
    go(keep ? '/' : '/reports');
  }

  if (confirming) {
    return html`
      <div class="fix-actions" role="group" aria-labelledby="discard-question">
        <p class="status-card__line status-card__line--warn" id="discard-question">${t('citizen.status.discard_question')}</p>
        <button type="button" class="button button--danger" disabled=${busy} onClick=${() => withdraw(false)}>
          ${t('citizen.status.discard_confirm')}
        </button>
        <button type="button" class="button button--secondary" onClick=${() => setConfirming(false)}>
          ${t('citizen.status.discard_cancel')}
        </button>
      </div>
    `;
  }
  return html`
    <div class="fix-actions">
      <button type="button" class="button button--primary" disabled=${busy} onClick=${() => withdraw(true)}>
        ${t('citizen.status.edit')}
      </button>
      <button type="button" class="button button--secondary" onClick=${() => setConfirming(true)}>
        ${t('citizen.status.discard')}
      </button>
    </div>
  `;
}

/**
 * New words from the police, said at the top of the report: the thread itself is further down,
 * often below the fold on a phone. The button takes the reader to the newest one.
 */
function MessageNotice({ report, onRead }) {
  function jump() {
    const target = document.getElementById(`message-${report.unread[report.unread.length - 1]}`);
    target?.scrollIntoView({ block: 'center' });
    target?.focus({ preventScroll: true });
    onRead();
  }
  return html`
    <div class="notice notice--message" role="status" data-unread=${report.unread.length}>
      <p class="notice__text">
        <span aria-hidden="true">✉ </span>${t('citizen.detail.new_messages', { n: report.unread.length })}
      </p>
      <button type="button" class="button button--primary" onClick=${jump}>${t('citizen.detail.read_messages')}</button>
    </div>
  `;
}

/** A later addition refused for good: dropped (the report itself stays as the police have it). */
function DropChange({ id, model }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function drop() {
    setBusy(true);
    setError(null);
    try {
      await model.dropChange(id);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }
  return html`
    <div class="fix-actions">
      <button type="button" class="button button--secondary" disabled=${busy} onClick=${drop}>${t('citizen.status.drop_change')}</button>
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
    </div>
  `;
}
