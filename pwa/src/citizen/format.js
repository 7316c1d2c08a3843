import { cityTime } from '../core/time-format.js';

const WHEN = { hour: '2-digit', minute: '2-digit', day: 'numeric', month: 'numeric', year: 'numeric' };

/** "14:05 3/6/2025" in Vietnamese, "03/06/2025, 14:05" in English: the city's clock, like the police's. */
export function formatTime(ms) {
  return ms ? cityTime(ms, WHEN) : '';
}

export const formatCoord = (n) => n.toFixed(5);
