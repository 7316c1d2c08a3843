import { html } from 'htm/preact';
import { t } from '../../core/i18n.js';
import { formatTime } from '../format.js';
import { StatusBadge } from './status.js';
import { useReports } from './use-reports.js';

export function ReportsScreen() {
  const model = useReports();
  const list = model.list();
  return html`
    <section class="reports" aria-labelledby="reports-heading">
      <h2 class="screen-heading" id="reports-heading">${t('citizen.mine.heading')}</h2>
      ${list.length === 0 &&
      html`<p class="card">${t('citizen.mine.empty')}</p>`}
      <ul class="report-list">
        ${list.map(
          (report) => html`
            <li key=${report.id}>
              <a class="report-item" href=${`#/reports/${report.id}`} data-report=${report.id}>
                <span class="report-item__title">${t(`citizen.categories.${report.category}.label`)}</span>
                <span class="report-item__time">${formatTime(report.created_at)}</span>
                ${report.description && html`<span class="report-item__text">${report.description}</span>`}
                <${StatusBadge} report=${report} />
                ${report.thread.some((m) => m.from === 'police') &&
                html`<span class="report-item__note">${t('citizen.mine.has_messages')}</span>`}
              </a>
            </li>
          `,
        )}
      </ul>
      <a class="button button--primary button--block" href="#/">${t('citizen.mine.new_report')}</a>
    </section>
  `;
}
