import { getLang } from '../core/i18n.js';

/** "14:05, 3/6/2025" in Vietnamese, "2:05 PM, 6/3/2025" in English: the phone's own clock. */
export function formatTime(ms) {
  if (!ms) return '';
  const locale = getLang() === 'vi' ? 'vi-VN' : 'en-GB';
  try {
    return new Intl.DateTimeFormat(locale, {
      hour: '2-digit',
      minute: '2-digit',
      day: 'numeric',
      month: 'numeric',
      year: 'numeric',
    }).format(new Date(ms));
  } catch {
    return new Date(ms).toLocaleString();
  }
}

export const formatCoord = (n) => n.toFixed(5);
