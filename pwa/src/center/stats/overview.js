// The live overview: what is open now (by status, category and ward) and today's count against
// the same weekday of the previous weeks, up to the same time of day.
import { html } from 'htm/preact';
import { useJson } from './data.js';
import { count, dateTime, signedPercent } from './format.js';
import { statsUrl } from './filters.js';
import { t } from './i18n.js';
import { Figure, Loading, Section } from './parts.js';

function Tally({ title, rows }) {
  return html`
    <div class="stats-tally">
      <h3>${title}</h3>
      <ul>
        ${rows.map(([key, label, n]) => html`<li key=${key} data-key=${key}><span>${label}</span><strong>${count(n)}</strong></li>`)}
      </ul>
    </div>
  `;
}

export function OverviewSection({ filters, token }) {
  const state = useJson(statsUrl('/api/stats/overview', filters), token);
  const data = state.data;
  const today = data?.today;
  return html`
    <${Section} id="overview" title=${t('stats.overview.title')} csv=${statsUrl('/api/stats/overview.csv', filters)}>
      <${Loading} state=${state} />
      ${data && html`
        <p class="stats-muted">${t('stats.overview.as_of', { at: dateTime(data.as_of) })}</p>
        <div class="stats-figures">
          <${Figure} name="open" label=${t('stats.overview.open')} value=${count(data.open.total)} raw=${data.open.total} big />
          <${Figure}
            name="today"
            label=${t('stats.overview.today', { until: today.until })}
            value=${count(today.count)}
            raw=${today.count}
            big
            detail=${today.previous.length
              ? html`${t('stats.overview.vs_weeks', { n: today.previous.length, mean: count(today.mean_so_far) })}
                  ${today.change_vs_mean != null && html`<br /><strong>${t('stats.overview.change', { change: signedPercent(today.change_vs_mean) })}</strong>`}`
              : null}
          />
          <${Tally}
            title=${t('stats.overview.previous')}
            rows=${today.previous.map((p) => [p.date, p.date.split('-').reverse().join('/'), p.so_far])}
          />
        </div>
        ${data.open.total === 0
          ? html`<p class="stats-muted">${t('stats.overview.nothing')}</p>`
          : html`
              <div class="stats-tallies">
                <${Tally} title=${t('stats.overview.by_status')} rows=${data.open.by_status.map((r) => [r.status, r.label, r.count])} />
                <${Tally} title=${t('stats.overview.by_category')} rows=${data.open.by_category.map((r) => [r.category, r.label, r.count])} />
                <${Tally}
                  title=${t('stats.overview.by_ward')}
                  rows=${data.open.by_ward.slice(0, 6).map((r) => [String(r.ward_code), r.ward_name ?? '?', r.count])}
                />
              </div>
            `}
      `}
    <//>
  `;
}
