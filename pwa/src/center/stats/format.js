// Numbers as the page shows them, in the chosen language.
import { getLang } from '../../core/i18n.js';
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

/** Seconds as "48 s", "2 min 05 s", "3 h 20 min". */
export function duration(seconds) {
  if (seconds == null) return t('stats.none');
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
}

const STAMP = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh', year: 'numeric', month: '2-digit', day: '2-digit',
  hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
});

/** "23/11/2026 14:05:09", Ho Chi Minh City time, the same in both languages (as on paper). */
export function dateTime(epoch) {
  const p = Object.fromEntries(STAMP.formatToParts(new Date(epoch * 1000)).map((x) => [x.type, x.value]));
  return `${p.day}/${p.month}/${p.year} ${p.hour}:${p.minute}:${p.second}`;
}

export function day(isoDay) {
  const [y, m, d] = isoDay.split('-');
  return `${d}/${m}/${y}`;
}
