// Triage: verify (confirm or change category, set priority), reject with a reason, merge as a
// duplicate of another incident. Each sends one dispatch entry in the dispatcher's own name.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, request } from '../../../core/api.js';
import { CATEGORIES } from '../../../core/categories.js';
import { CategoryPin } from '../../../core/ui/category-pin.js';
import { describeError } from '../../../core/ui/errors.js';
import { categoryLabel, duration, metres, shortId, spoken, statusLabel } from '../format.js';
import { t } from '../i18n.js';
import { ActionForm, Choices, TextField, useRequired } from './action-form.js';

const REASONS = ['spam', 'false', 'not_police', 'other'];

export function categoryIcon(category) {
  return html`<${CategoryPin} category=${category} variant="list" />`;
}

export function VerifyForm({ state, info, act, entry, busy, error, onCancel }) {
  const [category, setCategory] = useState(state.category ?? 'other');
  const [priority, setPriority] = useState(state.priority ?? 3);
  // A silent report is P1 whatever its category (the server keeps it so): offer nothing else.
  const silent = info?.silent === true;
  const priorities = silent ? [1] : [1, 2, 3];

  // 1, 2, 3 set the priority without leaving the keyboard's home row for the mouse.
  function keyDown(event) {
    if (priorities.map(String).includes(event.key) && !event.target.matches('textarea, input[type=text]')) {
      event.preventDefault();
      setPriority(Number(event.key));
    }
  }

  return html`
    <div onKeyDown=${keyDown}>
      <${ActionForm}
        id="verify"
        title=${t('center.verify.title')}
        submitLabel=${t('center.verify.submit')}
        busy=${busy}
        error=${error}
        onCancel=${onCancel}
        onSubmit=${() => act([entry('verify', { category, priority })])}
      >
        <${Choices}
          name="category"
          legend=${t('center.verify.category')}
          value=${category}
          onChange=${setCategory}
          columns="2"
          options=${CATEGORIES.map((c) => ({ value: c, label: categoryLabel(c), icon: categoryIcon(c) }))}
        />
        <${Choices}
          name="priority"
          legend=${t('center.verify.priority')}
          value=${priority}
          onChange=${(p) => setPriority(Number(p))}
          columns="3"
          options=${priorities.map((p) => ({ value: p, label: `P${p}`, hint: t(`center.priorities.${p}`) }))}
        />
        <p class="action-form__hint">${silent ? t('center.verify.silent_p1') : t('center.verify.hint')}</p>
      <//>
    </div>
  `;
}

export function RejectForm({ act, entry, busy, error, onCancel }) {
  const [reason, setReason] = useState('');
  const [note, setNote] = useState('');
  const [missing, check, clear] = useRequired('input[name=reason]');
  return html`
    <${ActionForm}
      id="reject"
      danger
      focus="input[name=reason]"
      title=${t('center.reject.title')}
      submitLabel=${t('center.reject.submit')}
      busy=${busy}
      error=${error}
      onCancel=${onCancel}
      onSubmit=${(_, form) => check(reason, form) && act([entry('reject', { reason, ...(note.trim() ? { note: note.trim() } : {}) })])}
    >
      <${Choices}
        name="reason"
        legend=${t('center.reject.reason')}
        value=${reason}
        onChange=${(r) => { setReason(r); clear(); }}
        columns="2"
        error=${missing && t('center.reject.reason_missing')}
        options=${REASONS.map((r) => ({ value: r, label: t(`center.reasons.${r}`) }))}
      />
      <${TextField} name="note" label=${t('center.reject.note')} value=${note} onInput=${setNote} max=${2000} rows=${2} />
      <p class="action-form__hint">${t('center.reject.hint')}</p>
    <//>
  `;
}

/**
 * The server's candidates (nearest first), those of this incident's category first: a duplicate
 * is nearly always reported under the same category, and another category is worth a second look.
 */
export function byCategory(candidates, category) {
  const same = (c) => (c.category === category ? 0 : 1);
  return candidates.map((c, i) => [c, i]).sort(([a, i], [b, j]) => same(a) - same(b) || i - j).map(([c]) => c);
}

function candidateMeta(c) {
  const apart = t(c.seconds_apart < 0 ? 'center.merge.earlier' : 'center.merge.later', { time: spoken(c.seconds_apart * 1000) });
  return [t('center.merge.distance', { d: metres(c.distance_m) }), apart, c.ward_name].filter(Boolean).join(' · ');
}

export function MergeForm({ incidentId, state, items, token, act, entry, busy, error, onCancel, now }) {
  const [candidates, setCandidates] = useState(null);
  const [failure, setFailure] = useState(null);
  const [into, setInto] = useState('');

  useEffect(() => {
    let current = true;
    request(`/api/incidents/${encodeURIComponent(incidentId)}/candidates`, { token }).then(
      (body) => {
        if (!current) return;
        const ordered = byCategory(body.candidates, state?.category);
        setCandidates(ordered);
        if (ordered.length) setInto(ordered[0].id);
      },
      (e) => current && setFailure(e instanceof ApiError ? describeError(e) : t('center.merge.failed')),
    );
    return () => {
      current = false;
    };
  }, [incidentId]);

  const suggested = new Set((candidates ?? []).map((c) => c.id));
  const others = items.filter((item) => item.id !== incidentId && !suggested.has(item.id));
  return html`
    <${ActionForm}
      id="merge"
      focus=${candidates?.length ? 'input[name=into]' : 'select'}
      title=${t('center.merge.title')}
      submitLabel=${t('center.merge.submit')}
      busy=${busy}
      error=${error}
      onCancel=${onCancel}
      onSubmit=${() => into && act([entry('merge', { into })])}
    >
      <p class="action-form__hint">${t('center.merge.hint')}</p>
      ${candidates === null && !failure && html`<p class="muted">${t('center.merge.loading')}</p>`}
      ${failure && html`<p class="notice">${failure}</p>`}
      ${candidates?.length === 0 && html`<p class="muted">${t('center.merge.none')}</p>`}
      ${candidates?.length > 0 && html`
        <fieldset class="candidates">
          <legend>${t('center.merge.suggested')}</legend>
          ${candidates.map(
            (c) => html`
              <label
                key=${c.id}
                class=${c.category === state?.category ? 'candidate' : 'candidate candidate--other'}
                data-candidate=${c.id}
                data-same-category=${c.category === state?.category ? 'true' : 'false'}
              >
                <input type="radio" name="into" value=${c.id} checked=${into === c.id} onChange=${() => setInto(c.id)} />
                ${categoryIcon(c.category)}
                <span class="candidate__body">
                  <span class="candidate__top">
                    <strong>${categoryLabel(c.category)}</strong>${c.category !== state?.category && html` <span class="candidate__other">${t('center.merge.other_category')}</span>`}${` · P${c.priority} · ${statusLabel(c.status)}`}
                    <span class="candidate__id">${shortId(c.id)}</span>
                  </span>
                  <span class="candidate__meta">${candidateMeta(c)}</span>
                  ${c.summary && html`<span class="candidate__summary">${c.summary}</span>`}
                </span>
              </label>
            `,
          )}
        </fieldset>
      `}
      <label class="select-field">
        <span>${t('center.merge.other')}</span>
        <select value=${suggested.has(into) ? '' : into} onChange=${(e) => setInto(e.currentTarget.value)}>
          <option value="">${t('center.merge.choose')}</option>
          ${others.map(
            (item) => html`
              <option key=${item.id} value=${item.id}>
                ${shortId(item.id)} · ${categoryLabel(item.category)} · ${item.ward_name ?? '–'} · ${duration(now - item.arrived_at)}
              </option>
            `,
          )}
        </select>
      </label>
    <//>
  `;
}
