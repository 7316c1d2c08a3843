// The caller's address, typed as they say it ("phường Bến Nghé, quận 1", old or new names, with or
// without accents): GET /api/directory/search answers the wards it names with a point each. Picking
// one puts the pin there (approximate: a ward's point); the dispatcher then refines it on the map.
// Inside the intake's <form>: Enter here searches instead of submitting the incident.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { request } from '../../../core/api.js';
import { describeError } from '../../../core/ui/errors.js';
import { t } from '../i18n.js';

const MAX_QUERY = 200;

/** `onPick({lat, lon, searched, label})` places the pin at the chosen result. */
export function AddressSearch({ token, onPick }) {
  const [query, setQuery] = useState('');
  const [results, setResults] = useState(null); // null: not searched yet
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  async function run() {
    const q = query.trim();
    if (!q || busy) return;
    setBusy(true);
    setError(null);
    try {
      setResults(await request(`/api/directory/search?q=${encodeURIComponent(q)}`, { token }));
    } catch (failure) {
      setError(describeError(failure));
      setResults(null);
    } finally {
      setBusy(false);
    }
  }

  function keys(event) {
    if (event.key !== 'Enter') return;
    event.preventDefault(); // not the incident's submit
    run();
  }

  function choose(result) {
    onPick({ lat: result.lat, lon: result.lon, searched: true, label: result.ward.name });
    setResults(null);
  }

  return html`
    <div class="address-search" role="search">
      <label class="text-field">
        <span class="text-field__label">${t('center.intake.search_label')}</span>
        <span class="address-search__row">
          <input
            name="call-address"
            type="search"
            autocomplete="off"
            maxlength=${MAX_QUERY}
            placeholder=${t('center.intake.search_placeholder')}
            value=${query}
            onInput=${(e) => setQuery(e.currentTarget.value)}
            onKeyDown=${keys}
          />
          <button type="button" class="button button--small button--secondary" disabled=${busy || !query.trim()} onClick=${run}>
            ${busy ? t('center.intake.searching') : t('center.intake.search')}
          </button>
        </span>
      </label>
      ${error && html`<p class="field-error" role="alert">${error}</p>`}
      ${results && !results.length && html`<p class="muted" role="status">${t('center.intake.search_none')}</p>`}
      ${results?.length > 0 && html`
        <ul class="address-search__results" aria-label=${t('center.intake.search_results')}>
          ${results.map((r) => html`
            <li key=${r.ward.code}>
              <button type="button" class="address-search__result" data-ward=${r.ward.code} onClick=${() => choose(r)}>
                <strong>${r.ward.name}</strong>
                ${r.matched !== r.ward.name && html`<span class="muted">${t('center.intake.search_was', { matched: r.matched })}</span>`}
              </button>
            </li>
          `)}
        </ul>
      `}
    </div>
  `;
}
