// Times and durations as every app shows them. Times are the city's wall clock (the server's
// `timezone` setting, from GET /api/config), never the device's: a dispatcher's desk, an officer's
// phone and the statistics page must agree on "14:05" whatever zone each device is set to.
// The citizen app needs only this module; the police apps' clock parts and spoken durations are
// in core/city-clock.js, so that the citizen's first visit does not carry them.
import { getLang } from './i18n.js';

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

/** A cached Intl.DateTimeFormat of the city's zone. */
export function format(loc, options) {
  const key = `${loc}|${JSON.stringify(options)}`;
  let made = formats.get(key);
  if (!made) {
    made = new Intl.DateTimeFormat(loc, { ...options, timeZone: zone });
    formats.set(key, made);
  }
  return made;
}

/** The city's time in the page's language, with Intl's `options` (hour, day, ...). */
export function cityTime(ms, options, lang) {
  return format(locale(lang), options).format(new Date(ms));
}
