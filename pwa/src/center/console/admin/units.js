// The units beside the user table: the command center, the departments and the 168 wards, each
// with its number of accounts, narrowed by name as one types ("tan phu" finds "Tân Phú").
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { has, t } from './i18n.js';
import { fold, KINDS } from './model.js';
import { unitLabel } from './parts.js';

export function UnitList({ units, selected, onSelect }) {
  const [filter, setFilter] = useState('');
  const wanted = fold(filter.trim());
  const shown = (units ?? []).filter((u) => !wanted || fold(`${u.name} ${u.name_en ?? ''} ${u.code}`).includes(wanted));
  const item = (code, label, n) => html`
    <li key=${code || 'all'}>
      <button type="button" class=${selected === code ? 'a-unit a-unit--on' : 'a-unit'} aria-pressed=${selected === code ? 'true' : 'false'}
        data-unit=${code} onClick=${() => onSelect(code)}>
        <span class="a-unit__name">${label}</span>
        ${n !== null && n !== undefined && html`<span class="a-unit__n">${n}</span>`}
      </button>
    </li>`;
  return html`
    <nav class="a-units" aria-labelledby="a-units-title">
      <h2 class="a-units__title" id="a-units-title">${t('admin.units.title')}</h2>
      <label class="a-field a-units__search">
        <span class="a-field__label">${t('admin.units.filter')}</span>
        <input type="search" value=${filter} autocomplete="off" onInput=${(e) => setFilter(e.currentTarget.value)} />
      </label>
      ${units === null
        ? html`<p class="placeholder" role="status">${t('admin.loading')}</p>`
        : html`
          <ul class="a-units__list">
            ${item('', t('admin.units.all'), null)}
            ${kindsOf(units).map((kind) => {
              const found = shown.filter((u) => u.kind === kind);
              if (!found.length) return null;
              return html`
                <li key=${kind} class="a-units__group">
                  <h3 class="a-units__kind">${has(`admin.units.kinds.${kind}`) ? t(`admin.units.kinds.${kind}`) : kind} <span class="a-units__count">${found.length}</span></h3>
                  <ul>${found.map((u) => item(u.code, unitLabel(u.code, units), u.users))}</ul>
                </li>`;
            })}
          </ul>
          ${wanted && !shown.length && html`<p class="muted">${t('admin.units.none')}</p>`}`}
    </nav>
  `;
}

/** The known kinds in their order, then any other the server has. */
const kindsOf = (units) => [...KINDS, ...new Set(units.map((u) => u.kind).filter((k) => !KINDS.includes(k)))];
