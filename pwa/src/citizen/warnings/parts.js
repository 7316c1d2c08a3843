// Pieces every warnings screen shows the same way: the level (in words and a mark, never by
// colour alone), "DIỄN TẬP", the area in words, times, and the text in the page's language.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { getLang } from '../../core/i18n.js';
import { t } from './i18n.js';
import { formatTime } from '../format.js';
import { warnings } from './model.js';

const MARKS = { Extreme: '‼', Severe: '!', Moderate: '!', Minor: 'i', Unknown: '?' };

/** Re-render when the model changes; starts it (idempotent). */
export function useWarnings() {
  const [, setVersion] = useState(warnings.version);
  useEffect(() => {
    const unsubscribe = warnings.subscribe(setVersion);
    warnings.start();
    return unsubscribe;
  }, []);
  return warnings;
}

/** A field in the page's language: the English text where the police gave one. */
export function text(warning, field) {
  return (getLang() === 'en' && warning[`${field}_en`]) || warning[field] || '';
}

export function SeverityBadge({ warning }) {
  const level = MARKS[warning.severity] ? warning.severity : 'Unknown';
  return html`<span class=${`w-badge w-badge--${level.toLowerCase()}`}>
    <span class="w-badge__mark" aria-hidden="true">${MARKS[level]}</span>
    ${t(`citizen.warnings.severity.${level}`)}
  </span>`;
}

export function ExerciseTag({ warning }) {
  return warning.exercise ? html`<span class="w-exercise">${t('citizen.warnings.exercise')}</span>` : null;
}

export function areaWords(warning) {
  if (warning.all_city) return t('citizen.warnings.all_city');
  return warning.wards.map((w) => w.name).join(', ');
}

export const until = (warning) => t('citizen.warnings.until', { time: formatTime(warning.expires) });

/** Where a message that is no longer in force stands, in words; null while in force. */
export function endedWords(warning) {
  if (warning.status === 'cancelled') return t('citizen.warnings.ended.cancelled');
  if (warning.status === 'superseded') return t('citizen.warnings.ended.superseded');
  if (warning.status === 'expired' || warning.expires < Date.now()) return t('citizen.warnings.ended.expired');
  return null;
}
