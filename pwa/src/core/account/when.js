// A time of the account screens in the city's clock. The server gives milliseconds; seconds and
// ISO text are understood too, so that a field written otherwise still shows a date, not NaN.
import { cityTime } from '../time-format.js';

export function toMs(value) {
  if (value == null || value === '') return null;
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

export function when(value) {
  const ms = toMs(value);
  if (ms == null) return '–';
  return cityTime(ms, { day: 'numeric', month: 'numeric', year: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function day(value) {
  const ms = toMs(value);
  return ms == null ? '–' : cityTime(ms, { day: 'numeric', month: 'numeric', year: 'numeric' });
}
