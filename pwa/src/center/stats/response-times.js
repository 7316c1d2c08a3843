// Response times: the share dispatched within 60 s (the figure centres are held to) as the
// headline, each stage's median and 90th percentile, and the same by ward, category, unit or
// period in a table. The numbers are the API's as they are; only their display is formatted.
import { html } from 'htm/preact';
import { useJson } from './data.js';
import { count, duration, percent } from './format.js';
import { GROUPS, spanDays, statsUrl } from './filters.js';
import { t } from './i18n.js';
import { Figure, Loading, Section } from './parts.js';

const stageOf = (row, stage, what) => row.stages?.[stage]?.[what] ?? null;

function Headline({ data }) {
  const all = data.overall;
  const within = all.dispatched_within_60s;
  return html`
    <div class="stats-figures">
      <${Figure}
        name="within60"
        big
        label=${t('stats.response.headline')}
        value=${percent(within.share)}
        raw=${within.share ?? ''}
        detail=${t('stats.response.headline_of', { count: count(within.count), of: count(within.of) })}
      />
      <${Figure} name="dispatch-median" label=${t('stats.response.dispatch_median')} value=${duration(stageOf(all, 'dispatch', 'median_s'))} raw=${stageOf(all, 'dispatch', 'median_s') ?? ''} />
      <${Figure} name="dispatch-p90" label=${t('stats.response.dispatch_p90')} value=${duration(stageOf(all, 'dispatch', 'p90_s'))} raw=${stageOf(all, 'dispatch', 'p90_s') ?? ''} />
      <${Figure} name="incidents" label=${t('stats.response.incidents')} value=${count(all.incidents)} raw=${all.incidents} />
    </div>
  `;
}

function StageTable({ data }) {
  const all = data.overall;
  const stages = data.stages.filter((s) => all.stages?.[s]);
  return html`
    <table class="stats-table stats-table--stages" data-table="stages">
      <caption>${t('stats.response.stages_title')}</caption>
      <thead>
        <tr>
          <th scope="col">${t('stats.response.stage')}</th>
          <th scope="col" class="num">${t('stats.response.count')}</th>
          <th scope="col" class="num">${t('stats.response.median')}</th>
          <th scope="col" class="num">${t('stats.response.p90')}</th>
        </tr>
      </thead>
      <tbody>
        ${stages.map((s) => html`
          <tr key=${s} data-stage=${s}>
            <th scope="row">${t(`stats.response.stages.${s}`)}</th>
            <td class="num">${count(all.stages[s].count)}</td>
            <td class="num" data-value=${all.stages[s].median_s}>${duration(all.stages[s].median_s)}</td>
            <td class="num" data-value=${all.stages[s].p90_s}>${duration(all.stages[s].p90_s)}</td>
          </tr>
        `)}
      </tbody>
    </table>
  `;
}

function GroupTable({ data, group }) {
  const title = t('stats.response.by_group', { group: t(`stats.response.groups.${group}`).toLowerCase() });
  if (!data.rows.length) return html`<p class="stats-muted">${t('stats.response.no_rows')}</p>`;
  return html`
    <table class="stats-table" data-table="groups">
      <caption>${title}</caption>
      <thead>
        <tr>
          <th scope="col">${t(`stats.response.groups.${group}`)}</th>
          <th scope="col" class="num">${t('stats.response.incidents')}</th>
          <th scope="col" class="num">${t('stats.response.within')}</th>
          <th scope="col" class="num">${t('stats.response.share')}</th>
          <th scope="col" class="num">${t('stats.response.dispatch_median')}</th>
          <th scope="col" class="num">${t('stats.response.dispatch_p90')}</th>
          <th scope="col" class="num">${t('stats.response.on_scene_median')}</th>
          <th scope="col" class="num">${t('stats.response.travel_median')}</th>
          <th scope="col" class="num">${t('stats.response.resolve_median')}</th>
        </tr>
      </thead>
      <tbody>
        ${data.rows.map((row) => {
          const within = row.dispatched_within_60s;
          const onScene = data.unit_mode ? 'unit_on_scene' : 'on_scene';
          const resolve = data.unit_mode ? 'unit_resolve' : 'resolve';
          return html`
            <tr key=${String(row.key)} data-key=${String(row.key)}>
              <th scope="row">${row.label}</th>
              <td class="num">${count(row.incidents)}</td>
              <td class="num">${count(within.count)} / ${count(within.of)}</td>
              <td class="num" data-value=${within.share ?? ''}>${percent(within.share)}</td>
              <td class="num">${duration(stageOf(row, 'dispatch', 'median_s'))}</td>
              <td class="num">${duration(stageOf(row, 'dispatch', 'p90_s'))}</td>
              <td class="num">${duration(stageOf(row, onScene, 'median_s'))}</td>
              <td class="num" data-stage="unit_travel" data-median=${stageOf(row, 'unit_travel', 'median_s') ?? ''}>${duration(stageOf(row, 'unit_travel', 'median_s'))}</td>
              <td class="num">${duration(stageOf(row, resolve, 'median_s'))}</td>
            </tr>
          `;
        })}
      </tbody>
    </table>
  `;
}

export function ResponseSection({ filters, token, onGroup }) {
  const group = filters.group;
  const state = useJson(statsUrl('/api/stats/response-times', filters, { group }), token);
  const data = state.data;
  const tools = html`
    <label class="stats-field stats-field--inline">
      <span>${t('stats.response.group')}</span>
      <select name="group" value=${group} onChange=${(e) => onGroup(e.currentTarget.value)}>
        ${GROUPS.filter((g) => g !== 'day' || spanDays(filters) <= 120).map((g) => html`<option key=${g} value=${g}>${t(`stats.response.groups.${g}`)}</option>`)}
      </select>
    </label>
  `;
  return html`
    <${Section}
      id="response"
      title=${t('stats.response.title')}
      tools=${tools}
      csv=${statsUrl('/api/stats/response-times.csv', filters, { group })}
    >
      <${Loading} state=${state} />
      ${data && html`
        <${Headline} data=${data} />
        ${data.unit_mode && html`<p class="stats-muted">${t('stats.response.unit_mode')}</p>`}
        <div class="stats-tables">
          <${StageTable} data=${data} />
          <${GroupTable} data=${data} group=${data.group} />
        </div>
        <p class="stats-muted stats-note">${t('stats.response.percentile_note')}</p>
      `}
    <//>
  `;
}
