// The warnings in force, from the phone's copy at once (offline too), then fresh from the server;
// those of the wards this phone follows first. Each entry leads to the whole warning.
import { html } from 'htm/preact';
import { t } from './i18n.js';
import { formatTime } from '../format.js';
import { AnswerState } from './answers.js';
import { ExerciseTag, SeverityBadge, areaWords, text, until, useWarnings } from './parts.js';

function Item({ warning, mine }) {
  return html`
    <li>
      <a class="w-item" href=${`#/warnings/${warning.id}`} data-warning=${warning.id}>
        <span class="w-item__tags"><${SeverityBadge} warning=${warning} /><${ExerciseTag} warning=${warning} /></span>
        <span class="w-item__title">${text(warning, 'headline')}</span>
        <span class="w-item__area">${areaWords(warning)}${mine ? ` · ${t('citizen.warnings.yours')}` : ''}</span>
        ${text(warning, 'instruction') && html`<span class="w-item__instruction">${text(warning, 'instruction')}</span>`}
        <span class="w-item__time">${until(warning)}</span>
        <${AnswerState} warning=${warning} short=${true} />
      </a>
    </li>
  `;
}

function Freshness({ model }) {
  const at = model.list?.at;
  const when = at ? t('citizen.warnings.updated_at', { time: formatTime(at) }) : null;
  if (model.state === 'offline') {
    return html`<p class="notice" data-fresh="offline">${at ? t('citizen.warnings.offline_kept', { time: formatTime(at) }) : t('citizen.warnings.offline_none')}</p>`;
  }
  if (model.state === 'failed') return html`<p class="notice">${t('citizen.warnings.refresh_failed')} ${when ?? ''}</p>`;
  return html`<p class="muted w-fresh" data-fresh=${model.state}>${model.state === 'loading' && !at ? t('citizen.warnings.loading') : when}</p>`;
}

function Following({ model }) {
  const { here, current, chosen } = model.areas;
  const names = [...(here && current ? [t('citizen.warnings.areas.here_named', { ward: current.name })] : []), ...chosen.map((w) => w.name)];
  return html`
    <section class="card w-following" aria-labelledby="w-following-heading">
      <h3 class="subheading" id="w-following-heading">${t('citizen.warnings.following_heading')}</h3>
      <p>${names.length ? names.join(', ') : t('citizen.warnings.following_none')}</p>
      <a class="button button--secondary button--block" href="#/warnings/areas">${t('citizen.warnings.choose_areas')}</a>
    </section>
  `;
}

export function WarningsListScreen() {
  const model = useWarnings();
  const all = model.warnings();
  const mine = all.filter((w) => model.covers(w));
  const others = all.filter((w) => !model.covers(w));
  const list = (items, isMine) => html`<ul class="w-list">${items.map((w) => html`<${Item} key=${w.id} warning=${w} mine=${isMine} />`)}</ul>`;
  return html`
    <section class="warnings" aria-labelledby="warnings-heading">
      <h2 class="screen-heading" id="warnings-heading">${t('citizen.warnings.heading')}</h2>
      <${Freshness} model=${model} />
      ${model.followed().length === 0 && html`<${Following} model=${model} />`}
      ${model.list && all.length === 0 && html`<p class="card" data-empty="">${t('citizen.warnings.empty')}</p>`}
      ${mine.length > 0 && html`<h3 class="subheading">${t('citizen.warnings.mine_heading')}</h3>${list(mine, true)}`}
      ${others.length > 0 && mine.length > 0 && html`<h3 class="subheading">${t('citizen.warnings.others_heading')}</h3>`}
      ${others.length > 0 && list(others, false)}
      ${model.followed().length > 0 && html`<${Following} model=${model} />`}
    </section>
  `;
}
