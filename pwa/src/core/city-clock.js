// The city's clock in parts, and durations as a person says them: for the police apps and the
// statistics (core/time-format.js has the zone and what the citizen app needs).
import { t } from './i18n.js';
import { format } from './time-format.js';

/** The city's calendar and clock at `ms`: {year, month, day, hour, minute, second}, as 2-digit strings. */
export function cityParts(ms) {
  const options = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
  const parts = {};
  for (const p of format('en-GB', options).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return parts;
}

/** "2026-11-23": the city's day at `ms` (the statistics count the city's days). */
export function cityDay(ms = Date.now()) {
  const p = cityParts(ms);
  return `${p.year}-${p.month}-${p.day}`;
}

export const isCityToday = (ms, now = Date.now()) => cityDay(ms) === cityDay(now);

/** "14:05:09" (or "14:05" without seconds), the city's clock. */
export function cityClock(ms, { seconds = true } = {}) {
  const p = cityParts(ms);
  return seconds ? `${p.hour}:${p.minute}:${p.second}` : `${p.hour}:${p.minute}`;
}

/** "23/11/2026 14:05:09", the same in both languages (as on paper). */
export function cityStamp(ms) {
  const p = cityParts(ms);
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}:${p.second}`;
}

/**
 * A duration as a person says it, in the page's language: "48 giây", "1 phút 31 giây",
 * "3 giờ 20 phút" / "48 s", "1 min 31 s", "3 h 20 min". Rounded to the second under an hour,
 * to the minute beyond.
 */
export function spokenDuration(ms) {
  const s = Math.round(Math.abs(ms) / 1000);
  const unit = (name, n) => `${n} ${t(`common.duration.${name}`)}`;
  if (s < 60) return unit('s', s);
  if (s < 3600) {
    const rest = s % 60;
    return rest ? `${unit('min', Math.floor(s / 60))} ${unit('s', rest)}` : unit('min', s / 60);
  }
  const minutes = Math.round(s / 60);
  const rest = minutes % 60;
  return rest ? `${unit('h', Math.floor(minutes / 60))} ${unit('min', rest)}` : unit('h', minutes / 60);
}
