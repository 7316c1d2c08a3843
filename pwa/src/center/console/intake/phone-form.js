// "New incident from a call": the dispatcher types what the caller says; the server writes it as a
// report with channel "phone" (POST /api/incidents/phone), so it is routed, timed and counted like
// an app report and lands in the queue through the inboxes like any other.
// The place: a click on the map (exact), or the caller's ward when that is all they can say
// (the server then uses a point inside the ward and marks the location approximate).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { request } from '../../../core/api.js';
import { describeError } from '../../../core/ui/errors.js';
import { categoryLabel } from '../format.js';
import { t } from '../i18n.js';
import { ActionForm, Choices, TextField, useRequired } from '../incident/action-form.js';
import { categoryIcon } from '../incident/triage-forms.js';
import { CATEGORIES } from '../../../core/categories.js';
import { loadBoundaries } from '../map/map-panel.js';
import { AddressSearch } from './address-search.js';

const MAX_DESCRIPTION = 4000;

/** `pick`: the point clicked on the map ({lat, lon}) or null; `onCreated(id)` opens the new incident. */
export function PhoneIntakeForm({ token, pick, onPick, onClearPick, onCreated, onCancel }) {
  const [phone, setPhone] = useState('');
  const [name, setName] = useState('');
  const [category, setCategory] = useState(null);
  const [description, setDescription] = useState('');
  const [ward, setWard] = useState('');
  const [wards, setWards] = useState([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const [noCategory, checkCategory, clearCategory] = useRequired('input[name=call-category]');
  const [noText, checkText, clearText] = useRequired('textarea[name=call-description]');
  const [noPlace, checkPlace, clearPlace] = useRequired('select[name=call-ward]');

  useEffect(() => {
    loadBoundaries(token).then(
      (geojson) => setWards(
        (geojson?.features ?? [])
          .map((f) => ({ code: String(f.properties?.code ?? ''), name: f.properties?.name ?? String(f.properties?.code) }))
          .sort((a, b) => a.name.localeCompare(b.name, 'vi')),
      ),
      () => setWards([]),
    );
  }, []);

  // A click on the map is the better answer: it replaces a ward picked before.
  useEffect(() => {
    if (pick) {
      setWard('');
      clearPlace();
    }
  }, [pick]);

  async function send(_data, form) {
    const ok = [
      checkCategory(Boolean(category), form),
      checkText(Boolean(description.trim()), form),
      checkPlace(Boolean(pick || ward), form),
    ];
    if (!ok.every(Boolean)) return;
    const body = { category, description, caller: { name: name.trim(), phone: phone.trim() } };
    // A pin left where the address search put it is a ward's point, not the place: say so.
    if (pick) Object.assign(body, { lat: pick.lat, lon: pick.lon, approximate: Boolean(pick.searched) });
    else body.ward = Number(ward);
    setBusy(true);
    setError(null);
    try {
      const created = await request('/api/incidents/phone', { method: 'POST', token, body });
      onCreated(created.id);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  }

  return html`
    <section class="phone-intake" data-intake="phone">
      <${ActionForm}
        id="phone-intake"
        title=${t('center.intake.title')}
        submitLabel=${t('center.intake.submit')}
        busy=${busy}
        error=${error}
        onCancel=${onCancel}
        onSubmit=${send}
        focus="input[name=call-phone]"
      >
        <div class="phone-intake__caller">
          <label class="text-field">
            <span class="text-field__label">${t('center.intake.phone')}</span>
            <input name="call-phone" type="tel" autocomplete="off" maxlength="20" value=${phone} onInput=${(e) => setPhone(e.currentTarget.value)} />
          </label>
          <label class="text-field">
            <span class="text-field__label">${t('center.intake.name')}</span>
            <input name="call-name" type="text" autocomplete="off" maxlength="100" value=${name} onInput=${(e) => setName(e.currentTarget.value)} />
          </label>
        </div>
        <${Choices}
          name="call-category"
          legend=${t('center.intake.category')}
          columns="2"
          value=${category}
          error=${noCategory && t('center.intake.need_category')}
          onChange=${(value) => { setCategory(value); clearCategory(); }}
          options=${CATEGORIES.map((c) => ({ value: c, label: categoryLabel(c), icon: categoryIcon(c) }))}
        />
        <${TextField}
          name="call-description"
          label=${t('center.intake.description')}
          value=${description}
          max=${MAX_DESCRIPTION}
          rows="4"
          required
          error=${noText && t('center.intake.need_description')}
          onInput=${(value) => { setDescription(value); clearText(); }}
        />
        <fieldset class="phone-intake__place" aria-invalid=${noPlace ? 'true' : undefined}>
          <legend>${t('center.intake.place')}</legend>
          ${noPlace && html`<p class="field-error" role="alert">${t('center.intake.need_place')}</p>`}
          ${onPick && html`<${AddressSearch} token=${token} onPick=${(place) => { onPick(place); clearPlace(); }} />`}
          <p class="phone-intake__pick" data-pick=${pick ? 'map' : ward ? 'ward' : 'none'}>
            ${pick
              ? html`${pick.searched
                  ? t('center.intake.picked_search', { name: pick.label })
                  : t('center.intake.picked', { lat: pick.lat.toFixed(5), lon: pick.lon.toFixed(5) })}
                  <button type="button" class="button button--small button--secondary" onClick=${onClearPick}>${t('center.intake.clear_pick')}</button>`
              : t('center.intake.click_map')}
          </p>
          <label class="text-field">
            <span class="text-field__label">${t('center.intake.ward')}</span>
            <select name="call-ward" value=${ward} disabled=${Boolean(pick)} onChange=${(e) => { setWard(e.currentTarget.value); clearPlace(); }}>
              <option value="">${t('center.intake.ward_none')}</option>
              ${wards.map((w) => html`<option key=${w.code} value=${w.code}>${w.name}</option>`)}
            </select>
          </label>
          ${ward && !pick && html`<p class="muted">${t('center.intake.approximate')}</p>`}
        </fieldset>
      <//>
    </section>
  `;
}
