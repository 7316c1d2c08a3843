// Times and durations as every app shows them. Times are the city's wall clock (the server's
// `timezone` setting, from GET /api/config), never the device's: a dispatcher's desk, an officer's
// phone and the statistics page must agree on "14:05" whatever zone each device is set to.
import { getLang, t } from './i18n.js';

export const DEFAULT_ZONE = 'Asia/Ho_Chi_Minh';
const CONFIG_KEY = 'sos.config'; // where core/config.js keeps the server's config

let zone = validZone(storedZone()) ?? DEFAULT_ZONE;
const formats = new Map();

function storedZone() {
  try {
    return JSON.parse(localStorage.getItem(CONFIG_KEY))?.timezone ?? null;
  } catch {
    return null;
  }
}

function validZone(name) {
  if (typeof name !== 'string' || !name) return null;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return name;
  } catch {
    return null; // a name this browser does not know: keep the default rather than throw
  }
}

/** Use `name` (an IANA zone) from now on; called with the config's `timezone` when it arrives. */
export function setCityZone(name) {
  const valid = validZone(name);
  if (!valid || valid === zone) return;
  zone = valid;
  formats.clear();
}

export const cityZone = () => zone;

const locale = (lang = getLang()) => (lang === 'vi' ? 'vi-VN' : 'en-GB');

function format(loc, options) {
  const key = `${loc}|${JSON.stringify(options)}`;
  let made = formats.get(key);
  if (!made) {
    made = new Intl.DateTimeFormat(loc, { ...options, timeZone: zone });
    formats.set(key, made);
  }
  return made;
}

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

/** The city's time in the page's language, with Intl's `options` (hour, day, ...). */
export function cityTime(ms, options, lang) {
  return format(locale(lang), options).format(new Date(ms));
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
