// Small pieces shared by the warnings form and list.
import { html } from 'htm/preact';
import { t } from '../i18n.js';

/** "DIỄN TẬP / EXERCISE" in both languages whatever the page's: nobody may take it for real. */
export const ExerciseBadge = () => html`<span class="w-badge w-badge--exercise">${t('center.warnings.exercise_badge')}</span>`;

export const StatusBadge = ({ status }) => html`<span class=${`w-badge w-badge--${status}`}>${t(`center.warnings.statuses.${status}`)}</span>`;

export const SeverityBadge = ({ severity }) => html`
  <span class=${`w-badge w-sev w-sev--${String(severity).toLowerCase()}`}>${severity} · ${t(`center.warnings.cap.${severity}`)}</span>
`;

/** "Tân Phú, Phú Mỹ" or "Toàn thành phố". */
export function areaText(warning) {
  if (warning.all_city) return t('center.warnings.form.all_city_chosen');
  return warning.wards.map((w) => w.name).join(', ') || '–';
}

export const personName = (p) => (p ? p.display_name || p.username : '–');
