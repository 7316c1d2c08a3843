import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../../core/i18n.js';
import { useOnline } from '../../core/online.js';
import { ContactForm } from '../contact/contact-form.js';
import { reportContact, wasAsked } from '../contact/contact.js';
import { formatCoord, formatTime } from '../format.js';
import { MediaList } from '../report/media-list.js';
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
      <section class=${`card status-card status-card--${report.status}`} aria-label=${t('citizen.detail.status')}>
        <p class="status-card__badge"><${StatusBadge} report=${report} /></p>
        ${stageLine(report) &&
        html`<p class="status-card__stage" data-stage=${report.stage}>${stageLine(report)}</p>`}
        ${statusExplanation(report, online).map(
          (line) => html`<p class=${`status-card__line status-card__line--${line.tone}`}>${line.text}</p>`,
        )}
        ${report.held &&
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
      <${Thread} report=${report} onAdd=${(text) => model.addMessage(id, text)} />
      ${askContact && !report.contact &&
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
                <strong>${m.name}</strong>: ${m.refused?.message || m.refused?.code}
              </p>`,
            )}`}
      </section>
    </article>
  `;
}
