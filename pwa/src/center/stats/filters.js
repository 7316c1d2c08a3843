// The page's filters, kept in the address bar's query so a view can be shared, bookmarked and
// printed as it is; and the API addresses built from them (the same query for JSON, CSV and SVG).
import { getLang } from '../../core/i18n.js';
import { cityDay } from '../../core/city-clock.js';

export { CATEGORIES } from '../../core/categories.js';
export const STATUSES = ['new', 'triaged', 'dispatched', 'acknowledged', 'en_route', 'on_scene', 'resolved', 'closed', 'rejected', 'merged'];
export const CHANNELS = ['app', 'phone', 'web-lite', 'partner'];
export const GROUPS = ['ward', 'category', 'unit', 'day', 'week'];
export const PRESETS = [1, 7, 30, 90];
const FIELDS = ['from', 'to', 'ward', 'category', 'unit', 'status', 'channel'];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
// The statistics count the city's days, whatever the desk computer's time zone.
export const localDay = (date = new Date()) => cityDay(date.getTime());

/** `day` (YYYY-MM-DD) moved by `n` days. */
export function addDays(day, n) {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** The last `days` local days, today included. */
export function preset(days) {
  const to = localDay();
  return { from: addDays(to, 1 - days), to };
}

export function defaults() {
  return { ...preset(7), ward: '', category: '', unit: '', status: '', channel: '', group: 'ward' };
}

export function fromLocation(search = location.search) {
  const params = new URLSearchParams(search);
  const base = defaults();
  const filters = { ...base };
  for (const key of [...FIELDS, 'group']) {
    const value = params.get(key);
    if (value) filters[key] = value;
  }
  if (!DAY.test(filters.from) || !DAY.test(filters.to) || filters.from > filters.to) {
    filters.from = base.from;
    filters.to = base.to;
  }
  if (!GROUPS.includes(filters.group)) filters.group = base.group;
  return filters;
}

export function toSearch(filters) {
  const params = new URLSearchParams();
  for (const key of [...FIELDS, 'group']) if (filters[key]) params.set(key, filters[key]);
  return `?${params}`;
}

/** `/api/stats/<figure>` (or `.csv`, or a chart) with the filters, the language and `extra`. */
export function statsUrl(path, filters, extra = {}) {
  const params = new URLSearchParams();
  for (const key of FIELDS) if (filters[key]) params.set(key, filters[key]);
  for (const [key, value] of Object.entries(extra)) if (value !== undefined && value !== '') params.set(key, value);
  params.set('lang', getLang());
  return `${path}?${params}`;
}

/** The number of days the period spans (both ends included). */
export function spanDays(filters) {
  return Math.round((Date.parse(filters.to) - Date.parse(filters.from)) / 86_400_000) + 1;
}
