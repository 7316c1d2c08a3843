// The server's charts, as plain images (the session cookie authorises them): they print in black
// and white and need no chart code here. Each names its CSV, the figures behind it.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { spanDays, statsUrl } from './filters.js';
import { t } from './i18n.js';

function Chart({ name, title, src, csv, summary }) {
  const [failed, setFailed] = useState(null);
  return html`
    <figure class="stats-chart" data-chart=${name}>
      <figcaption>
        <span>${title}</span>
        <a class="stats-csv" href=${csv} download data-csv=${`chart-${name}`}>${t('stats.csv')}</a>
      </figcaption>
      ${failed === src
        ? html`<p class="form-error">${t('stats.charts.failed')}</p>`
        : html`<img src=${src} alt=${t('stats.charts.alt', { chart: title, summary })} onError=${() => setFailed(src)} />`}
    </figure>
  `;
}

export function ChartsSection({ filters, summary }) {
  const bucket = spanDays(filters) > 60 ? 'week' : 'day';
  return html`
    <section class="stats-section" id="charts" aria-labelledby="charts-title">
      <header class="stats-section__head"><h2 id="charts-title">${t('stats.charts.title')}</h2></header>
      <div class="stats-charts">
        <${Chart}
          name="series"
          title=${t('stats.charts.series', { bucket: t(`stats.charts.bucket_${bucket}`) })}
          src=${statsUrl('/api/stats/charts/series.svg', filters, { bucket, kind: 'bars' })}
          csv=${statsUrl('/api/stats/series.csv', filters, { bucket })}
          summary=${summary}
        />
        <${Chart}
          name="wards"
          title=${t('stats.charts.wards')}
          src=${statsUrl('/api/stats/charts/wards.svg', filters, { measure: 'count', top: 20 })}
          csv=${statsUrl('/api/stats/wards.csv', filters)}
          summary=${summary}
        />
        <${Chart}
          name="histogram"
          title=${t('stats.charts.histogram')}
          src=${statsUrl('/api/stats/charts/histogram.svg', filters, { stage: 'dispatch' })}
          csv=${statsUrl('/api/stats/histogram.csv', filters, { stage: 'dispatch' })}
          summary=${summary}
        />
      </div>
    </section>
  `;
}
