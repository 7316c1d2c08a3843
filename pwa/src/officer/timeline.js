import { html } from 'htm/preact';
import { t } from '../core/i18n.js';
import { useDirectory } from './directory.js';
import { clock } from './format.js';
import { officer } from './model.js';
import { Thumb } from './parts.js';

const DISPATCH = new Set(['created', 'verify', 'reject', 'merge', 'dispatch', 'withdraw', 'message', 'note', 'close', 'reopen']);
const TIMELINE = new Set(['acknowledged', 'en_route', 'on_scene', 'resolved', 'need_support', 'note']);

function unitName(unit, view, directory) {
  if (unit === officer.unit) return t('officer.your_unit');
  const named = directory.unitName(unit);
  if (named !== unit) return named;
  return unit === view.ward_unit && view.ward_name ? view.ward_name : unit;
}

/** Who wrote an entry: the server itself, else the author's display name (never an id). */
function author(entry, directory) {
  if (entry.by === 'server') return t('officer.system');
  return directory.personName(entry.by, entry.by_name);
}

function what(entry, view, directory) {
  if (entry.log === 'timeline') return TIMELINE.has(entry.kind) ? t(`officer.step.${entry.kind}`) : entry.kind;
  if (!DISPATCH.has(entry.kind)) return entry.kind;
  return t(`officer.action.${entry.kind}`, { unit: unitName(entry.unit, view, directory), priority: entry.priority ?? '' });
}

/** Everything that happened, dispatchers' and officers' entries together, oldest first. */
export function Timeline({ view }) {
  const directory = useDirectory();
  return html`
    <section class="card o-log" aria-labelledby="log-heading">
      <h2 class="card__heading" id="log-heading">${t('officer.timeline')}</h2>
      <ol class="o-log__list">
        ${view.log.map((entry) => {
          const unit = entry.log === 'timeline' && entry.unit !== officer.unit ? unitName(entry.unit, view, directory) : null;
          const who = [author(entry, directory), unit].filter(Boolean).join(' · ');
          const text = entry.note || entry.text || entry.instructions;
          return html`
            <li key=${`${entry.log}:${entry.id}`} class=${`o-log__item o-log__item--${entry.log}`} data-entry=${entry.id}>
              <p class="o-log__line">
                <span class="o-log__time">${clock(entry.at)}</span>
                <strong>${what(entry, view, directory)}</strong>
                ${entry.pending && html`<span class="o-flag o-flag--pending">${t('officer.not_sent')}</span>`}
              </p>
              ${who && html`<p class="o-muted">${who}</p>`}
              ${text && html`<p class="o-log__text">${text}</p>`}
              ${entry.media?.length > 0 &&
              html`<div class="o-thumbs">${entry.media.map((m) => html`<${Thumb} key=${m} id=${m} />`)}</div>`}
            </li>
          `;
        })}
      </ol>
    </section>
  `;
}
