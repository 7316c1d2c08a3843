// Everything that happened to the incident, in time order: the dispatchers' log, the officers'
// log and what the citizen added later, merged (each entry carries its writer's clock).
import { html } from 'htm/preact';
import { categoryLabel, clock, shortId, unitName } from '../format.js';
import { has, t } from '../i18n.js';
import { MediaThumbs } from './media-thumbs.js';

function rows(dispatch, timeline, report) {
  const all = [];
  dispatch.forEach((e, i) => all.push({ log: 'dispatch', e, order: i }));
  timeline.forEach((e, i) => e.type !== 'created' && all.push({ log: 'timeline', e, order: i }));
  (report?.messages ?? []).forEach((e, i) => all.push({ log: 'citizen', e, order: i }));
  const rank = { dispatch: 0, timeline: 1, citizen: 2 };
  return all.sort((a, b) => Number(a.e.at ?? 0) - Number(b.e.at ?? 0) || rank[a.log] - rank[b.log] || a.order - b.order);
}

const label = (key, fallback) => (has(key) ? t(key) : fallback);

function describe({ log, e }, units) {
  if (log === 'citizen') return { what: t('center.timeline.citizen_added'), text: e.text, who: t('center.timeline.citizen') };
  if (log === 'timeline') {
    return {
      what: label(`center.timeline.types.${e.type}`, e.type),
      text: e.note,
      who: [e.by_name, unitName(e.unit, units)].filter(Boolean).join(' · '),
      media: e.media,
    };
  }
  const who = e.by === 'server' ? t('center.timeline.system') : e.by_name || `#${e.by}`;
  switch (e.action) {
    case 'created':
      return { what: t('center.timeline.created'), who };
    case 'verify':
      return { what: t('center.timeline.verify', { category: categoryLabel(e.category), priority: e.priority }), who };
    case 'reject':
      return { what: t('center.timeline.reject', { reason: label(`center.reasons.${e.reason}`, e.reason) }), text: e.note, who };
    case 'merge':
      return { what: t('center.timeline.merge', { id: shortId(e.into) }), who, into: e.into };
    case 'dispatch':
      return { what: t('center.timeline.dispatch', { unit: unitName(e.unit, units) }), text: e.instructions, who };
    case 'withdraw':
      return { what: t('center.timeline.withdraw', { unit: unitName(e.unit, units) }), text: e.instructions, who };
    case 'message':
      return { what: t('center.timeline.message'), text: e.text, who, quote: true };
    case 'note':
      return { what: t('center.timeline.note'), text: e.text, who };
    case 'close':
      return { what: t('center.timeline.close', { outcome: label(`center.outcomes.${e.outcome}`, e.outcome) }), text: e.note, who };
    case 'reopen':
      return { what: t('center.timeline.reopen'), who };
    default:
      return { what: String(e.action), who };
  }
}

export function TimelineSection({ dispatch, timeline, report, units, token, onOpenMedia, onOpenIncident }) {
  const list = rows(dispatch, timeline, report);
  return html`
    <section class="section" aria-labelledby="timeline-title">
      <h3 class="section__title" id="timeline-title">${t('center.timeline.title')}</h3>
      <ol class="timeline">
        ${list.map((row) => {
          const d = describe(row, units);
          const kind = row.log === 'dispatch' ? row.e.action : row.log === 'timeline' ? row.e.type : 'citizen';
          return html`
            <li key=${`${row.log}:${row.e.id}`} class=${`tl tl--${row.log} tl--${kind}`} data-entry=${row.e.id}>
              <time class="tl__time">${clock(Number(row.e.at))}</time>
              <div class="tl__body">
                <p class="tl__what">
                  <strong>${d.what}</strong>
                  ${d.into && html` <button type="button" class="link-button" onClick=${() => onOpenIncident(d.into)}>${t('center.timeline.open')}</button>`}
                </p>
                ${d.text && html`<p class=${d.quote ? 'tl__text tl__text--quote' : 'tl__text'}>${d.text}</p>`}
                ${d.media?.length > 0 && html`<${MediaThumbs} ids=${d.media} token=${token} onOpen=${onOpenMedia} />`}
                <p class="tl__who">${d.who}</p>
              </div>
            </li>
          `;
        })}
      </ol>
    </section>
  `;
}
