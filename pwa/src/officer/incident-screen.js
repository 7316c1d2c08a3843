import { html } from 'htm/preact';
import { useEffect } from 'preact/hooks';
import { t } from './strings.js'; // the officer chunk's strings, then the shared ones
import { useDirectory } from './directory.js';
import { clock, elapsed, metres, useNow } from './format.js';
import { distance, usePosition } from './location.js';
import { MapView } from './map-view.js';
import { officer } from './model.js';
import { PendingBar, Priority, StatusBadge, Thumb } from './parts.js';
import { latestFix, SilentNote } from './silent-note.js';
import { Progress } from './progress.js';
import { Timeline } from './timeline.js';

export function IncidentScreen({ id, alerts }) {
  const { position } = usePosition();
  const now = useNow(1000);
  const directory = useDirectory();

  useEffect(() => {
    officer.setFocus(id);
    return () => officer.setFocus(null);
  }, [id]);
  useEffect(() => alerts.seen(id), [id]);

  const view = officer.view(id);
  const back = html`<p><a class="back-link o-back" href="#/">← ${t('officer.back')}</a></p>`;
  if (view?.refused) {
    return html`${back}<p class="notice" role="alert">${t('officer.refused')}</p>`;
  }
  if (!view) return html`${back}<p class="o-muted" role="status">${t('officer.loading')}</p>`;
  // A silent report's person may have moved: the place to go is their latest fix.
  const fix = latestFix(view);
  const where = fix ? { lat: fix.lat, lon: fix.lon } : view.lat != null ? { lat: view.lat, lon: view.lon } : null;

  // The progress buttons come right after the head, before what is only read (the center's
  // instructions, the sending state, the place, the report): at 360x640 the acknowledge button of
  // a new dispatch is in view without scrolling whatever the length of the instructions (issue 23).
  return html`
    <article class="o-detail" aria-labelledby="incident-heading" data-incident=${id}>
      ${back}
      <header class="card o-head">
        <p class="o-head__top">
          <${Priority} value=${view.priority} />
          <${StatusBadge} status=${view.status} />
        </p>
        <h2 class="o-head__title" id="incident-heading">${t(`citizen.categories.${view.category}.label`)}</h2>
        <p class="o-head__timer">
          <span class="o-head__label">${t('officer.since_arrival')}</span>
          <strong class="o-timer" role="timer">${view.arrived_at ? elapsed(now - view.arrived_at) : '–'}</strong>
          <span class="o-muted">${t('officer.arrived_at', { time: clock(view.arrived_at) })}</span>
        </p>
        <p class="o-head__place">
          ${[view.ward_name, position && where && t('officer.away', { d: metres(distance(position, where)) })]
            .filter(Boolean)
            .join(' · ')}
        </p>
        ${view.silent && html`<p class="o-flag o-flag--support" data-silent-flag>${t('officer.silent.heading')}</p>`}
        ${view.need_support && html`<p class="o-flag o-flag--support">${t('officer.support_raised')}</p>`}
      </header>
      ${!view.listed &&
      officer.inboxSynced &&
      // Only once the server's list has arrived: opened from a notification, the incident is
      // there before the list is, and it would say for a moment that it left the list.
      html`<p class="notice">${t('officer.not_listed')}</p>`}
      ${!view.loaded && html`<p class="notice" role="status">${t('officer.not_loaded')}</p>`}
      ${view.held &&
      html`<section class="card o-refused" role="alert">
        <p>${t('officer.refused_change')}</p>
        <button type="button" class="button button--secondary" onClick=${() => officer.discardRefused(id)}>
          ${t('officer.discard')}
        </button>
      </section>`}
      <${Progress} view=${view} position=${position} />
      ${view.instructions.length > 0 &&
      html`<section class="o-instructions" aria-labelledby="instructions-heading">
        <h2 id="instructions-heading" class="o-instructions__heading">${t('officer.instructions')}</h2>
        ${view.instructions.map(
          (e) => html`<p key=${e.id}>${e.instructions} <span class="o-muted">· ${directory.personName(e.by, e.by_name)} ${clock(e.at)}</span></p>`,
        )}
      </section>`}
      <${PendingBar} />
      <${SilentNote} view=${view} now=${now} />
      <${Place} view=${view} where=${where} position=${position} />
      <${Report} view=${view} />
      <${Timeline} view=${view} />
      <p class="o-rule">${t('officer.rule')}</p>
    </article>
  `;
}

function Place({ view, where, position }) {
  if (!where) {
    return html`<section class="card"><p>${t('officer.no_location')}</p></section>`;
  }
  const pair = `${where.lat},${where.lon}`;
  return html`
    <section class="card o-place" aria-labelledby="place-heading">
      <h2 class="card__heading" id="place-heading">${t('officer.place')}</h2>
      ${view.outside && html`<p class="notice">${t('officer.outside')}</p>`}
      <a class="button button--primary button--block" href=${`geo:${pair}?q=${pair}`}>${t('officer.navigate')}</a>
      <a class="o-link" href=${`https://www.google.com/maps/dir/?api=1&destination=${pair}`} target="_blank" rel="noopener">
        ${t('officer.navigate_web')}
      </a>
      <p class="o-muted">${where.lat.toFixed(5)}, ${where.lon.toFixed(5)}</p>
      <${MapView} where=${where} position=${position} />
    </section>
  `;
}

function Report({ view }) {
  return html`
    <section class="card o-report" aria-labelledby="report-heading">
      <h2 class="card__heading" id="report-heading">${t('officer.report')}</h2>
      <p class="o-report__text">${view.description || view.summary || t('officer.no_description')}</p>
      ${view.messages.map(
        (m) => html`<p key=${m.id} class="o-report__more"><span class="o-muted">${clock(m.at)} · ${t('officer.citizen_added')}</span><br />${m.text}</p>`,
      )}
      ${view.media.length > 0 &&
      html`<div class="o-thumbs">${view.media.map((m) => html`<${Thumb} key=${m} id=${m} />`)}</div>`}
      ${view.contact &&
      (view.contact.name || view.contact.phone) &&
      html`<p class="o-contact">
        <span class="o-muted">${t('officer.contact')}</span>
        ${view.contact.name && html`<strong>${view.contact.name}</strong>`}
        ${view.contact.phone && view.silent && html`<span>${view.contact.phone}</span>`}
        ${view.contact.phone && !view.silent && html`<a class="button button--secondary" href=${`tel:${view.contact.phone.replace(/[^+\d]/g, '')}`}>
          ${t('officer.call', { phone: view.contact.phone })}
        </a>`}
      </p>`}
    </section>
  `;
}
