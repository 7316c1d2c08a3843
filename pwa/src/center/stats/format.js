// Numbers as the page shows them, in the chosen language.
import { getLang } from '../../core/i18n.js';
import { cityStamp, spokenDuration } from '../../core/city-clock.js';
import { t } from './i18n.js';

const locale = () => (getLang() === 'vi' ? 'vi-VN' : 'en-GB');

export function count(n) {
  return n == null ? t('stats.none') : new Intl.NumberFormat(locale()).format(n);
}

export function percent(share) {
  if (share == null) return t('stats.none');
  return new Intl.NumberFormat(locale(), { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(share);
}

export function signedPercent(change) {
  if (change == null) return t('stats.none');
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 0, signDisplay: 'exceptZero' }).format(change);
}

/** Seconds as "48 giây", "2 phút 5 giây", "3 giờ 20 phút" (English: "48 s", "2 min 5 s", "3 h 20 min"). */
export function duration(seconds) {
  return seconds == null ? t('stats.none') : spokenDuration(seconds * 1000);
}

/** "23/11/2026 14:05:09", the city's time, the same in both languages (as on paper). */
export const dateTime = (epoch) => cityStamp(epoch * 1000);

export function day(isoDay) {
  const [y, m, d] = isoDay.split('-');
  return `${d}/${m}/${y}`;
}
