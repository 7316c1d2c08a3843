import { useEffect, useState } from 'preact/hooks';
import { getLang, t } from '../core/i18n.js';
import { cityTime } from '../core/time-format.js';
import { isCityToday } from '../core/city-clock.js';

const locale = () => (getLang() === 'vi' ? 'vi-VN' : 'en-GB');
const pad = (n) => String(n).padStart(2, '0');

/** "14:05", with the date when it is not today: the city's clock, whatever the phone's zone. */
export function clock(ms) {
  if (!ms) return '';
  const options = isCityToday(ms)
    ? { hour: '2-digit', minute: '2-digit' }
    : { hour: '2-digit', minute: '2-digit', day: 'numeric', month: 'numeric' };
  return cityTime(ms, options);
}

/** "7:05" (m:ss) under an hour, "1:07:05" beyond: the time since arrival, counting up. */
export function elapsed(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** "12 phút" / "3 giờ": a short age for the list. */
export function age(ms) {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  if (minutes < 1) return t('officer.just_now');
  if (minutes < 60) return t('officer.minutes', { n: minutes });
  return t('officer.hours', { n: Math.floor(minutes / 60) });
}

export function metres(m) {
  if (m < 1000) return `${Math.round(m / 10) * 10} m`;
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: 1 }).format(m / 1000)} km`;
}

/** The current time, re-rendering every `ms`. */
export function useNow(ms = 1000) {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
