// Small pieces every section uses: the section frame with its CSV link, a figure card, states.
import { html } from 'htm/preact';
import { describeError } from '../../core/ui/errors.js';
import { t } from './i18n.js';

export function Section({ id, title, csv, csvLabel, children, tools }) {
  return html`
    <section class="stats-section" id=${id} aria-labelledby=${`${id}-title`}>
      <header class="stats-section__head">
        <h2 id=${`${id}-title`}>${title}</h2>
        <div class="stats-section__tools">
          ${tools}
          ${csv && html`<a class="stats-csv" href=${csv} download data-csv=${id}>${csvLabel ?? t('stats.csv')}</a>`}
        </div>
      </header>
      ${children}
    </section>
  `;
}

export function Figure({ label, value, detail, big = false, name, raw }) {
  return html`
    <div class=${big ? 'stats-figure stats-figure--big' : 'stats-figure'} data-figure=${name} data-value=${raw ?? ''}>
      <div class="stats-figure__label">${label}</div>
      <div class="stats-figure__value">${value}</div>
      ${detail && html`<div class="stats-figure__detail">${detail}</div>`}
    </div>
  `;
}

export function Loading({ state }) {
  if (state.error) return html`<p class="form-error" role="alert">${t('stats.error', { reason: describeError(state.error) })}</p>`;
  if (!state.data) return html`<p class="stats-muted" role="status">${t('stats.loading')}</p>`;
  return null;
}
