// How times, durations, distances and units read on the console.
import { categoryName } from '../../core/categories.js';
import { getLang } from '../../core/i18n.js';
import { cityClock, cityParts, isCityToday } from '../../core/city-clock.js';
import { t } from './i18n.js';

const pad = (n) => String(n).padStart(2, '0');

/** 14:05:09 today; 03/11 14:05 on another day (a dispatcher's shift crosses midnight). The city's clock. */
export function clock(ms) {
  if (!Number.isFinite(ms)) return '–';
  if (isCityToday(ms)) return cityClock(ms);
  const p = cityParts(ms);
  return `${p.day}/${p.month} ${p.hour}:${p.minute}`;
}

/** 0:07, 12:40, 1:02:13: a counter, to the second (the queue's ages, countdowns). */
export function duration(ms) {
  const total = Math.max(0, Math.floor(Math.abs(ms) / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}

/** "1 phút 31 giây" / "1 min 31 s": a duration in a sentence, in the page's language. */
export { spokenDuration as spoken } from '../../core/city-clock.js';

export function metres(m) {
  if (!Number.isFinite(m)) return '–';
  if (m < 1000) return `${Math.round(m)} m`;
  return `${(m / 1000).toLocaleString(getLang(), { maximumFractionDigits: 1 })} km`;
}

export const shortId = (id) => String(id ?? '').slice(0, 8).toUpperCase();

export function coordinates(lat, lon) {
  return `${Number(lat).toFixed(5)}, ${Number(lon).toFixed(5)}`;
}

/** The unit's name in the page's language, from GET /api/units; the code if unknown. */
export function unitName(code, units) {
  if (code === 'center') return t('center.units.center');
  const unit = units?.get(code);
  if (!unit) return code;
  return (getLang() === 'en' && unit.name_en) || unit.name;
}

// Names from the one vocabulary of every app (core/categories.json), in the page's language.
export const categoryLabel = (category) => categoryName(category);
export const statusLabel = (status) => t(`center.statuses.${status}`);

/** How a report came in: "phone" (taken at the center) or "partner:<name>" (Open311). */
export const channelLabel = (channel) =>
  channel?.startsWith('partner:') ? t('center.intake.channel_partner', { name: channel.slice(8) }) : t(`center.intake.channel_${channel}`);
