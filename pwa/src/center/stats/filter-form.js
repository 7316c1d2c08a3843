// The filter bar: period (dates and presets), ward, category, unit, status, channel. Every change applies
// at once; on paper only the one-line summary below it is printed.
import { html } from 'htm/preact';
import { categoryName } from '../../core/categories.js';
import { getLang } from '../../core/i18n.js';
import { day } from './format.js';
import { CATEGORIES, CHANNELS, defaults, preset, PRESETS, STATUSES } from './filters.js';
import { t } from './i18n.js';

export const unitName = (unit) => (getLang() === 'en' && unit.name_en) || unit.name;

function wardsOf(units) {
  return units
    .filter((u) => u.kind === 'ward' && u.ward_code)
    .map((u) => ({ code: String(u.ward_code), name: unitName(u) }))
    .sort((a, b) => a.name.localeCompare(b.name, 'vi'));
}

export function summaryLine(filters, units) {
  const parts = [t('stats.filters.summary', { from: day(filters.from), to: day(filters.to) })];
  const ward = wardsOf(units).find((w) => w.code === filters.ward);
  const unit = units.find((u) => u.code === filters.unit);
  if (filters.ward) parts.push(`${t('stats.filters.ward')}: ${ward?.name ?? filters.ward}`);
  if (filters.category) parts.push(`${t('stats.filters.category')}: ${categoryName(filters.category)}`);
  if (filters.unit) parts.push(`${t('stats.filters.unit')}: ${unit ? unitName(unit) : filters.unit}`);
  if (filters.status) {
    const status = filters.status === 'open' ? t('stats.filters.open') : t(`stats.statuses.${filters.status}`);
    parts.push(`${t('stats.filters.status')}: ${status}`);
  }
  if (filters.channel) parts.push(`${t('stats.filters.channel')}: ${t(`stats.channels.${filters.channel}`)}`);
  if (parts.length === 1) parts.push(t('stats.filters.summary_all'));
  return parts.join(' · ');
}

function Select({ name, label, value, options, onChange }) {
  return html`
    <label class="stats-field">
      <span>${label}</span>
      <select name=${name} aria-label=${label} value=${value} onChange=${(e) => onChange(e.currentTarget.value)}>
        <option value="">${t('stats.filters.all')}</option>
        ${options.map(([code, text]) => html`<option key=${code} value=${code}>${text}</option>`)}
      </select>
    </label>
  `;
}

export function FilterForm({ filters, units, onApply }) {
  const set = (key) => (value) => onApply({ ...filters, [key]: value });
  const setDay = (key) => (event) => {
    const value = event.currentTarget.value;
    if (!value) return;
    const next = { ...filters, [key]: value };
    if (next.from > next.to) next[key === 'from' ? 'to' : 'from'] = value;
    onApply(next);
  };
  const active = PRESETS.find((n) => {
    const p = preset(n);
    return p.from === filters.from && p.to === filters.to;
  });
  const wardOptions = wardsOf(units).map((w) => [w.code, w.name]);
  const unitOptions = units
    .filter((u) => u.kind !== 'command_center')
    .map((u) => [u.code, unitName(u)])
    .sort((a, b) => a[1].localeCompare(b[1], 'vi'));
  return html`
    <form class="stats-filters" aria-label=${t('stats.filters.legend')} onSubmit=${(e) => e.preventDefault()}>
      <div class="stats-filters__period" role="group" aria-label=${t('stats.filters.presets')}>
        ${PRESETS.map((n) => html`
          <button
            type="button"
            key=${n}
            class="stats-chip"
            aria-pressed=${active === n ? 'true' : 'false'}
            onClick=${() => onApply({ ...filters, ...preset(n) })}
          >${n === 1 ? t('stats.filters.today') : t('stats.filters.days', { n })}</button>
        `)}
      </div>
      <label class="stats-field">
        <span>${t('stats.filters.from')}</span>
        <input type="date" name="from" value=${filters.from} max=${filters.to} onChange=${setDay('from')} />
      </label>
      <label class="stats-field">
        <span>${t('stats.filters.to')}</span>
        <input type="date" name="to" value=${filters.to} min=${filters.from} onChange=${setDay('to')} />
      </label>
      <${Select} name="ward" label=${t('stats.filters.ward')} value=${filters.ward} options=${wardOptions} onChange=${set('ward')} />
      <${Select}
        name="category"
        label=${t('stats.filters.category')}
        value=${filters.category}
        options=${CATEGORIES.map((c) => [c, categoryName(c)])}
        onChange=${set('category')}
      />
      <${Select} name="unit" label=${t('stats.filters.unit')} value=${filters.unit} options=${unitOptions} onChange=${set('unit')} />
      <${Select}
        name="status"
        label=${t('stats.filters.status')}
        value=${filters.status}
        options=${[['open', t('stats.filters.open')], ...STATUSES.map((s) => [s, t(`stats.statuses.${s}`)])]}
        onChange=${set('status')}
      />
      <${Select}
        name="channel"
        label=${t('stats.filters.channel')}
        value=${filters.channel}
        options=${CHANNELS.map((c) => [c, t(`stats.channels.${c}`)])}
        onChange=${set('channel')}
      />
      <button type="button" class="stats-tool stats-tool--quiet" onClick=${() => onApply({ ...defaults(), group: filters.group })}>
        ${t('stats.filters.reset')}
      </button>
    </form>
  `;
}
