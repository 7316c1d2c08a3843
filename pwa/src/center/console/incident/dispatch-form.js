// Dispatch: the units routing suggested (the ward's police, the departments for the category) are
// offered first and ticked; any other unit can be found by name or code. One `dispatch` entry per
// unit, all in one write. An incident nobody verified yet is verified as it stands in the same
// write, so the triage time is recorded (the 60-second figure is measured from it).
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { describeError } from '../../../core/ui/errors.js';
import { loadOfficers, officersAvailable } from '../directory.js';
import { clock, unitName } from '../format.js';
import { has, t } from '../i18n.js';
import { ActionForm, TextField } from './action-form.js';
import { NearestOfficers } from './nearest-units.js';

const MAX_MATCHES = 8;

// Vietnamese names are searched without their accents: "tan phu" finds "Tân Phú".
const fold = (text) =>
  String(text ?? '')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase();

export function DispatchForm({ info, state, units, token, act, entry, busy, error, onCancel }) {
  const active = new Set(Object.values(state.assignments).filter((a) => a.withdrawn_at == null).map((a) => a.unit));
  const suggested = (info.routed_units ?? []).filter((u) => u !== 'center');
  const [chosen, setChosen] = useState(() => suggested.filter((u) => !active.has(u)));
  const [extra, setExtra] = useState([]);
  const [query, setQuery] = useState('');
  const [instructions, setInstructions] = useState('');

  const matches = useMemo(() => {
    const q = fold(query.trim());
    if (!q || !units) return [];
    return [...units.values()]
      .filter((u) => u.code !== 'center' && !suggested.includes(u.code) && !extra.includes(u.code))
      .filter((u) => fold(`${u.code} ${u.name} ${u.name_en ?? ''}`).includes(q))
      .slice(0, MAX_MATCHES);
  }, [query, units, extra]);

  const toggle = (code) => setChosen((list) => (list.includes(code) ? list.filter((c) => c !== code) : [...list, code]));
  function add(code) {
    setExtra((list) => [...list, code]);
    setChosen((list) => [...list, code]);
    setQuery('');
  }

  // A unit picked from the nearest officers (issue 16): ticked, and listed if routing did not.
  function pick(code) {
    if (!suggested.includes(code) && !extra.includes(code)) setExtra((list) => [...list, code]);
    toggle(code);
  }

  function send() {
    const sending = chosen.filter((u) => !active.has(u));
    if (!sending.length) return;
    const note = instructions.trim();
    const entries = [];
    if (!state.verified_at) {
      entries.push(entry('verify', { category: state.category ?? info.category, priority: state.priority ?? info.priority ?? 3 }));
    }
    for (const unit of sending) entries.push(entry('dispatch', { unit, ...(note ? { instructions: note } : {}) }));
    act(entries);
  }

  const count = chosen.filter((u) => !active.has(u)).length;
  return html`
    <${ActionForm}
      id="dispatch"
      focus=${count ? 'button[type=submit]' : 'input[type=search]'}
      title=${t('center.dispatch.title')}
      submitLabel=${t('center.dispatch.submit', { n: count })}
      busy=${busy}
      error=${error}
      onCancel=${onCancel}
      onSubmit=${send}
    >
      ${!state.verified_at && html`<p class="action-form__hint">${t('center.dispatch.verifies')}</p>`}
      <${NearestOfficers} place=${info} units=${units} chosen=${chosen} active=${active} onPick=${pick} />
      <fieldset class="unit-picks">
        <legend>${t('center.dispatch.suggested')}</legend>
        ${[...suggested, ...extra].map(
          (code) => html`
            <${UnitPick}
              key=${code}
              code=${code}
              units=${units}
              token=${token}
              assigned=${active.has(code)}
              checked=${active.has(code) || chosen.includes(code)}
              onToggle=${() => toggle(code)}
              suggested=${suggested.includes(code)}
            />
          `,
        )}
        ${!suggested.length && !extra.length && html`<p class="muted">${t('center.dispatch.no_suggestion')}</p>`}
      </fieldset>
      <div class="unit-search">
        <label>
          <span>${t('center.dispatch.search')}</span>
          <input
            type="search"
            value=${query}
            placeholder=${t('center.dispatch.search_hint')}
            onInput=${(e) => setQuery(e.currentTarget.value)}
            onKeyDown=${(e) => {
              if (e.key === 'Enter' && matches.length) {
                e.preventDefault();
                add(matches[0].code);
              }
            }}
          />
        </label>
        ${matches.length > 0 && html`
          <ul class="unit-search__matches" aria-label=${t('center.dispatch.matches')}>
            ${matches.map(
              (u) => html`
                <li key=${u.code}>
                  <button type="button" class="unit-match" onClick=${() => add(u.code)}>
                    <strong>${unitName(u.code, units)}</strong> <span class="muted">${u.code}</span>
                  </button>
                </li>
              `,
            )}
          </ul>
        `}
      </div>
      <${TextField} name="instructions" label=${t('center.dispatch.instructions')} value=${instructions} onInput=${setInstructions} max=${2000} rows=${2} />
    <//>
  `;
}

function UnitPick({ code, units, token, assigned, checked, onToggle, suggested }) {
  return html`
    <label class=${assigned ? 'unit-pick unit-pick--assigned' : 'unit-pick'} data-unit=${code}>
      <input type="checkbox" checked=${checked} disabled=${assigned} onChange=${onToggle} />
      <span class="unit-pick__body">
        <span class="unit-pick__name">${unitName(code, units)}</span>
        <span class="unit-pick__meta">
          ${code}${assigned ? ` · ${t('center.dispatch.already')}` : suggested ? ` · ${t('center.dispatch.routed')}` : ''}
        </span>
        <${Availability} code=${code} token=${token} />
      </span>
    </label>
  `;
}

/** The unit's officers and whether each is free (GET /api/officers, when the server has it). */
function Availability({ code, token }) {
  const [officers, setOfficers] = useState(undefined);
  const [failure, setFailure] = useState(null);
  useEffect(() => {
    let current = true;
    if (!officersAvailable()) return undefined;
    loadOfficers(token, code).then(
      (list) => current && setOfficers(list),
      (e) => current && setFailure(describeError(e)),
    );
    return () => {
      current = false;
    };
  }, [code]);
  if (failure) return html`<span class="availability muted">${failure}</span>`;
  if (!officers) return null;
  if (!officers.length) return html`<span class="availability muted">${t('center.dispatch.no_officers')}</span>`;
  const free = officers.filter((o) => o.availability === 'available');
  return html`
    <span class="availability">
      <span class=${free.length ? 'availability__count' : 'availability__count availability__count--none'}>
        ${t('center.dispatch.available', { n: free.length, total: officers.length })}
      </span>
      ${officers.slice(0, 6).map(
        (o) => html`
          <span key=${o.id} class=${`officer officer--${o.availability ?? 'unknown'}`} title=${o.availability_at ? clock(o.availability_at) : ''}>
            ${o.display_name || o.username} · ${availabilityLabel(o.availability)}
          </span>
        `,
      )}
    </span>
  `;
}

// The officers' app decides the values; one the console has no words for is shown as it is.
function availabilityLabel(value) {
  const key = `center.availability.${value ?? 'unknown'}`;
  return has(key) ? t(key) : String(value);
}
