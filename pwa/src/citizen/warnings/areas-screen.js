// Where this phone is warned: where it is now (the ward found on the phone from its position;
// the position never leaves it) and wards the citizen chose (home, work, a parent's), at most
// ten in all, plus exercises if wanted. Saved on the server at each change (queued offline).
// Notifications are asked for here, at the moment the citizen says they want warnings.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ensureDevice } from '../../core/device.js';
import { t } from './i18n.js';
import { enablePush, pushState } from '../../core/push-subscribe.js';
import { MAX_AREAS } from './model.js';
import { useWarnings } from './parts.js';
import { fold } from './wards.js';

const SHOWN_RESULTS = 8;

function usePush() {
  const [state, setState] = useState(pushState);
  // From the click itself: browsers only show the permission prompt for a user's gesture.
  const ask = () => {
    const now = pushState();
    if (!['ask', 'off'].includes(now)) return setState(now);
    const permission = now === 'ask' ? Notification.requestPermission() : Promise.resolve('granted');
    permission
      .then((answer) => (answer === 'granted' ? ensureDevice().then((d) => enablePush({ token: d.token })) : null))
      .then((result) => setState(result?.state ?? pushState()))
      .catch(() => setState(pushState()));
  };
  return { state, ask };
}

function Here({ model, onWant }) {
  const { here, current } = model.areas;
  const where = here ? (model.where === 'idle' && current ? 'found' : model.where) : null;
  return html`
    <section class="card" aria-labelledby="w-here-heading">
      <h3 class="card__heading" id="w-here-heading">${t('citizen.warnings.areas.here_heading')}</h3>
      <label class="w-check">
        <input type="checkbox" checked=${here} onChange=${(e) => {
          const on = e.currentTarget.checked;
          model.setAreas({ here: on, ...(on ? {} : { current: null }) }).then(() => on && model.locate());
          if (on) onWant();
        }} />
        <span>${t('citizen.warnings.areas.here_label')}</span>
      </label>
      <p class="w-privacy">${t('citizen.warnings.areas.privacy')}</p>
      ${where && html`<p class="w-where" data-where=${where} role="status">
        ${where === 'found' && current ? t('citizen.warnings.areas.here_named', { ward: current.name }) : t(`citizen.warnings.areas.where.${where}`)}
      </p>`}
      ${here && ['denied', 'failed', 'outside'].includes(where) && html`
        <button type="button" class="button button--secondary" onClick=${() => model.locate()}>${t('citizen.warnings.areas.locate_again')}</button>`}
    </section>
  `;
}

function Chosen({ model, onWant }) {
  const [query, setQuery] = useState('');
  const [all, setAll] = useState(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    model.wards().then(setAll, () => setFailed(true));
  }, []);
  const { chosen, here } = model.areas;
  const room = MAX_AREAS - (here ? 1 : 0) - chosen.length;
  const codes = new Set(chosen.map((w) => w.code));
  const q = fold(query);
  const results = q && all ? all.filter((w) => !codes.has(w.code) && fold(w.name).includes(q)).slice(0, SHOWN_RESULTS) : [];
  const add = (ward) => {
    model.setAreas({ chosen: [...chosen, ward] });
    setQuery('');
    onWant();
  };
  return html`
    <section class="card" aria-labelledby="w-chosen-heading">
      <h3 class="card__heading" id="w-chosen-heading">${t('citizen.warnings.areas.chosen_heading')}</h3>
      <p class="field__hint">${t('citizen.warnings.areas.chosen_hint', { n: MAX_AREAS })}</p>
      ${chosen.length > 0 && html`<ul class="w-chosen">
        ${chosen.map((w) => html`<li key=${w.code}>
          <span>${w.name}</span>
          <button type="button" class="button button--secondary w-remove" aria-label=${t('citizen.warnings.areas.remove_named', { ward: w.name })}
            onClick=${() => model.setAreas({ chosen: chosen.filter((c) => c.code !== w.code) })}>${t('citizen.warnings.areas.remove')}</button>
        </li>`)}
      </ul>`}
      ${room > 0
        ? html`<div class="field">
            <label for="w-ward-search">${t('citizen.warnings.areas.search_label')}</label>
            <input id="w-ward-search" type="search" autocomplete="off" value=${query} aria-describedby="w-search-hint"
              onInput=${(e) => setQuery(e.currentTarget.value)} />
            <p class="field__hint" id="w-search-hint">${failed ? t('citizen.warnings.areas.wards_failed') : t('citizen.warnings.areas.search_hint')}</p>
          </div>
          ${q && html`<ul class="w-results" aria-label=${t('citizen.warnings.areas.results')}>
            ${results.map((w) => html`<li key=${w.code}>
              <button type="button" class="button button--secondary button--block w-add" onClick=${() => add(w)}>
                + ${w.name}
              </button></li>`)}
            ${results.length === 0 && html`<li class="muted">${t('citizen.warnings.areas.no_match')}</li>`}
          </ul>`}`
        : html`<p class="notice">${t('citizen.warnings.areas.full', { n: MAX_AREAS })}</p>`}
    </section>
  `;
}

function Saved({ model, push }) {
  const state = model.areas.synced ? 'saved' : model.areasState;
  const any = model.followed().length > 0;
  if (!any && model.areas.synced) return null; // nothing chosen yet: nothing to say
  return html`
    <div class="w-saved" role="status">
      <p data-areas-state=${state}>${t(`citizen.warnings.areas.state.${state}`)}</p>
      ${any && html`<p data-push=${push.state}>${t(`citizen.warnings.areas.push.${push.state}`)}</p>`}
    </div>
  `;
}

export function AreasScreen() {
  const model = useWarnings();
  const push = usePush();
  return html`
    <section class="warning-areas" aria-labelledby="w-areas-heading">
      <a class="w-back" href="#/warnings">← ${t('citizen.warnings.all')}</a>
      <h2 class="screen-heading" id="w-areas-heading">${t('citizen.warnings.areas.heading')}</h2>
      <${Saved} model=${model} push=${push} />
      <${Here} model=${model} onWant=${push.ask} />
      <${Chosen} model=${model} onWant=${push.ask} />
      <section class="card" aria-labelledby="w-exercise-heading">
        <h3 class="card__heading" id="w-exercise-heading">${t('citizen.warnings.areas.exercise_heading')}</h3>
        <label class="w-check">
          <input type="checkbox" checked=${model.areas.exercises} onChange=${(e) => model.setAreas({ exercises: e.currentTarget.checked })} />
          <span>${t('citizen.warnings.areas.exercise_label')}</span>
        </label>
      </section>
    </section>
  `;
}
