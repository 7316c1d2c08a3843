import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { categoryLabel, channelLabel, duration, shortId, statusLabel, unitName } from '../format.js';
import { CategoryPin } from '../../../core/ui/category-pin.js';
import { t } from '../i18n.js';
import { CATEGORIES } from '../../../core/categories.js';
import { PRIORITIES, STATUS_FILTERS, isFiltered, toggle, wardsOf } from './order.js';

/** The live queue: header with the connection, the filters, and the incidents in order. */
export function QueuePanel({
  inbox, items, shown, filters, onFilters, filtersOpen, onFiltersOpen, selectedId, cursorId,
  onOpen, onCursor, now, timers, units,
}) {
  const list = useRef(null);

  useEffect(() => {
    list.current?.querySelector(`[data-incident="${cursorId}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [cursorId]);

  const hidden = items.length - shown.length;
  return html`
    <section class="queue" aria-labelledby="queue-title">
      <header class="queue__head">
        <h2 id="queue-title" class="queue__title">
          ${t('center.queue.title')}
          <span class="queue__count">${shown.length}</span>
        </h2>
        <${Connection} status=${inbox.status} />
        <button
          type="button"
          class=${isFiltered(filters) ? 'chip chip--on' : 'chip'}
          aria-expanded=${filtersOpen ? 'true' : 'false'}
          aria-controls="queue-filters"
          onClick=${() => onFiltersOpen(!filtersOpen)}
        >
          ${t('center.filters.button')}${isFiltered(filters) ? ` (${countFilters(filters)})` : ''}
        </button>
      </header>
      <p class="queue__order" id="queue-order">${t('center.queue.order')}</p>
      ${filtersOpen && html`<${Filters} items=${items} filters=${filters} onFilters=${onFilters} />`}
      ${hidden > 0 && html`
        <p class="queue__hidden" role="status">
          ${t('center.filters.hidden', { n: hidden })}
          <button type="button" class="link-button" onClick=${() => onFilters({ statuses: [], categories: [], priorities: [], ward: '' })}>
            ${t('center.filters.clear')}
          </button>
        </p>
      `}
      <ol class="queue__list" ref=${list} aria-label=${t('center.queue.list_label')} aria-describedby="queue-order">
        ${shown.map(
          (item) => html`
            <${QueueItem}
              key=${item.id}
              item=${item}
              unseen=${inbox.isUnseen(item)}
              selected=${item.id === selectedId}
              cursor=${item.id === cursorId}
              now=${now}
              timers=${timers}
              units=${units}
              onOpen=${onOpen}
              onCursor=${onCursor}
            />
          `,
        )}
      </ol>
      ${shown.length === 0 && html`<p class="queue__empty">${items.length ? t('center.queue.none_match') : t('center.queue.empty')}</p>`}
    </section>
  `;
}

function countFilters(f) {
  return f.statuses.length + f.categories.length + f.priorities.length + (f.ward ? 1 : 0);
}

function Connection({ status }) {
  const live = status === 'live';
  return html`
    <span class=${live ? 'conn conn--live' : 'conn conn--down'} role="status">
      <span class="conn__dot" aria-hidden="true"></span>
      ${t(`center.connection.${status}`)}
    </span>
  `;
}

/** The timer line of an item: the server's escalation, or the countdown to the triage limit. */
export function TimerFlag({ item, now, timers, units }) {
  if (item.escalation) {
    const [code, unit] = String(item.escalation).split(':');
    const text = code === 'not_acknowledged'
      ? t('center.escalation.not_acknowledged', { unit: unitName(unit, units) })
      : t(`center.escalation.${code === 'not_triaged' ? 'not_triaged' : 'other'}`);
    return html`<span class="flag flag--escalated"><span aria-hidden="true">▲ </span>${text}</span>`;
  }
  if (item.status === 'new' && timers) {
    const left = item.arrived_at + timers.triage_timeout_s * 1000 - now;
    return left > 0
      ? html`<span class="flag flag--timer">${t('center.timers.triage_in', { time: duration(left) })}</span>`
      : html`<span class="flag flag--late">${t('center.timers.triage_late', { time: duration(-left) })}</span>`;
  }
  return null;
}

function QueueItem({ item, unseen, selected, cursor, now, timers, units, onOpen, onCursor }) {
  const escalated = Boolean(item.escalation);
  const classes = ['q-item', `q-item--${item.category}`];
  if (unseen) classes.push('is-unseen');
  if (escalated) classes.push('is-escalated');
  if (item.need_support) classes.push('is-support');
  if (selected) classes.push('is-selected');
  if (cursor) classes.push('is-cursor');
  const where = item.ward_name ?? (item.no_location ? t('center.queue.no_location') : t('center.queue.no_ward'));
  return html`
    <li>
      <button
        type="button"
        class=${classes.join(' ')}
        data-incident=${item.id}
        aria-current=${selected ? 'true' : undefined}
        tabindex=${cursor ? '0' : '-1'}
        onClick=${() => onOpen(item.id)}
        onFocus=${() => onCursor(item.id)}
      >
        <${CategoryPin} category=${item.category} variant="list" />
        <span class="q-item__body">
          <span class="q-item__top">
            <span class=${`prio prio--${item.priority}`}>P${item.priority}</span>
            <span class="q-item__category">${categoryLabel(item.category)}</span>
            ${unseen && html`<span class="badge-new">${t('center.queue.new_badge')}</span>`}
            <span class="q-item__age" title=${t('center.queue.age_title')}>${duration(now - item.arrived_at)}</span>
          </span>
          <span class="q-item__meta">
            ${where}${item.outside ? ` · ${t('center.flags.outside_short')}` : ''} · ${statusLabel(item.status)}
            ${item.units?.length ? ` · ${item.units.length} ${t('center.queue.units_short')}` : ''}
            ${item.media_count ? ` · ${t('center.queue.media', { n: item.media_count })}` : ''}
          </span>
          ${item.summary && html`<span class="q-item__summary">${item.summary}</span>`}
          <span class="q-item__flags">
            ${item.channel && item.channel !== 'app' && html`<span class="flag flag--channel" data-channel=${item.channel}>${channelLabel(item.channel)}</span>`}
            ${item.need_support && html`<span class="flag flag--escalated"><span aria-hidden="true">▲ </span>${t('center.escalation.need_support')}</span>`}
            <${TimerFlag} item=${item} now=${now} timers=${timers} units=${units} />
            <span class="q-item__id">${shortId(item.id)}</span>
          </span>
        </span>
      </button>
    </li>
  `;
}

function Filters({ items, filters, onFilters }) {
  const set = (patch) => onFilters({ ...filters, ...patch });
  const wards = wardsOf(items);
  return html`
    <div id="queue-filters" class="filters">
      <${ChipGroup}
        label=${t('center.filters.status')}
        values=${STATUS_FILTERS}
        chosen=${filters.statuses}
        text=${(s) => t(`center.status_filters.${s}`)}
        onToggle=${(s) => set({ statuses: toggle(filters.statuses, s) })}
      />
      <${ChipGroup}
        label=${t('center.filters.category')}
        values=${CATEGORIES}
        chosen=${filters.categories}
        text=${categoryLabel}
        onToggle=${(c) => set({ categories: toggle(filters.categories, c) })}
      />
      <${ChipGroup}
        label=${t('center.filters.priority')}
        values=${PRIORITIES}
        chosen=${filters.priorities}
        text=${(p) => `P${p}`}
        onToggle=${(p) => set({ priorities: toggle(filters.priorities, p) })}
      />
      <label class="filters__ward">
        <span>${t('center.filters.ward')}</span>
        <select value=${filters.ward} onChange=${(e) => set({ ward: e.currentTarget.value })}>
          <option value="">${t('center.filters.all_wards')}</option>
          ${wards.map(
            (w) => html`<option key=${w.code} value=${w.code}>${w.name ?? t('center.queue.no_ward')} (${w.count})</option>`,
          )}
        </select>
      </label>
    </div>
  `;
}

function ChipGroup({ label, values, chosen, text, onToggle }) {
  return html`
    <div class="filters__group" role="group" aria-label=${label}>
      <span class="filters__label" aria-hidden="true">${label}</span>
      ${values.map(
        (value) => html`
          <button
            key=${value}
            type="button"
            class=${chosen.includes(value) ? 'chip chip--on' : 'chip'}
            aria-pressed=${chosen.includes(value) ? 'true' : 'false'}
            onClick=${() => onToggle(value)}
          >${text(value)}</button>
        `,
      )}
    </div>
  `;
}
