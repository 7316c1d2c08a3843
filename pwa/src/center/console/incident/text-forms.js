// Writing: a message to the citizen (shown in their reply document by the server), an internal
// note, closing with an outcome, reopening.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { request } from '../../../core/api.js';
import { shortId } from '../format.js';
import { t } from '../i18n.js';
import { ActionForm, Choices, TextField, useRequired } from './action-form.js';

const OUTCOMES = ['handled', 'arrested', 'warned', 'transferred', 'false_alarm', 'no_action'];
const TEMPLATES = ['received', 'on_the_way', 'thanks'];
const MAX_MESSAGE = 1000;

// Who reads a message: by default only the citizen of this incident's own report. Reports merged
// into it belong to other people, who must not read what was written to the first one; so with
// merged reports the dispatcher picks one reporter or all of them, and the entry names them in
// `to` (the server delivers to exactly those: app/incidents/fanout.py).
function useReporters(incidentId, token) {
  const [reporters, setReporters] = useState(null);
  useEffect(() => {
    let current = true;
    request(`/api/incidents/${encodeURIComponent(incidentId)}/reporters`, { token }).then(
      (body) => current && setReporters(body.reporters),
      () => current && setReporters([]), // unknown: the message goes to this report only
    );
    return () => {
      current = false;
    };
  }, [incidentId]);
  return reporters;
}

const reporterLabel = (r) => t(r.merged ? 'center.message.to_merged' : 'center.message.to_own', { id: shortId(r.id) });

export function MessageForm({ incidentId, info, token, act, entry, busy, error, onCancel }) {
  const [text, setText] = useState('');
  const [to, setTo] = useState(incidentId); // a report id, or 'all'
  const [missing, check, clear] = useRequired('textarea');
  const reporters = useReporters(incidentId, token);
  const several = (reporters?.length ?? 0) > 1;
  const recipients = to === 'all' ? reporters.map((r) => r.id) : [to];
  const readers = to === 'all'
    ? t('center.message.readers_all', { n: reporters.length })
    : t('center.message.readers_one', { id: shortId(to) });
  return html`
    <${ActionForm}
      id="message"
      focus="textarea"
      title=${t('center.message.title')}
      submitLabel=${t('center.message.submit')}
      busy=${busy}
      error=${error}
      onCancel=${onCancel}
      onSubmit=${(_, form) => check(text.trim(), form) && act([entry('message', { text: text.trim(), to: recipients })])}
    >
      ${info?.silent && html`<p class="action-form__hint" data-silent-hint>${t('center.silent.message_hint')}</p>`}
      ${several && html`
        <${Choices}
          name="to"
          legend=${t('center.message.to')}
          value=${to}
          onChange=${setTo}
          options=${[
            ...reporters.map((r) => ({ value: r.id, label: reporterLabel(r) })),
            { value: 'all', label: t('center.message.to_all', { n: reporters.length }) },
          ]}
        />
      `}
      <p class="action-form__hint message__readers" data-readers=${recipients.join(' ')}>${readers}</p>
      <div class="templates" role="group" aria-label=${t('center.message.templates')}>
        ${TEMPLATES.map(
          (key) => html`
            <button key=${key} type="button" class="chip" onClick=${() => setText(t(`center.message.template.${key}`))}>
              ${t(`center.message.template_label.${key}`)}
            </button>
          `,
        )}
      </div>
      <${TextField}
        name="text"
        label=${t('center.message.text')}
        value=${text}
        onInput=${(v) => { setText(v); clear(); }}
        max=${MAX_MESSAGE}
        rows=${3}
        required
        error=${missing && t('center.message.text_missing')}
      />
    <//>
  `;
}

export function NoteForm({ act, entry, busy, error, onCancel }) {
  const [text, setText] = useState('');
  const [missing, check, clear] = useRequired('textarea');
  return html`
    <${ActionForm}
      id="note"
      focus="textarea"
      title=${t('center.note.title')}
      submitLabel=${t('center.note.submit')}
      busy=${busy}
      error=${error}
      onCancel=${onCancel}
      onSubmit=${(_, form) => check(text.trim(), form) && act([entry('note', { text: text.trim() })])}
    >
      <p class="action-form__hint">${t('center.note.hint')}</p>
      <${TextField}
        name="text"
        label=${t('center.note.text')}
        value=${text}
        onInput=${(v) => { setText(v); clear(); }}
        max=${2000}
        rows=${3}
        required
        error=${missing && t('center.note.text_missing')}
      />
    <//>
  `;
}

export function CloseForm({ state, act, entry, busy, error, onCancel }) {
  const [outcome, setOutcome] = useState('');
  const [note, setNote] = useState('');
  const [missing, check, clear] = useRequired('input[name=outcome]');
  const unresolved = state.status !== 'resolved';
  return html`
    <${ActionForm}
      id="close"
      focus="input[name=outcome]"
      title=${t('center.close.title')}
      submitLabel=${t('center.close.submit')}
      busy=${busy}
      error=${error}
      onCancel=${onCancel}
      onSubmit=${(_, form) => check(outcome, form) && act([entry('close', { outcome, ...(note.trim() ? { note: note.trim() } : {}) })])}
    >
      ${unresolved && html`<p class="notice">${t('center.close.unresolved')}</p>`}
      <${Choices}
        name="outcome"
        legend=${t('center.close.outcome')}
        value=${outcome}
        onChange=${(o) => { setOutcome(o); clear(); }}
        columns="2"
        error=${missing && t('center.close.outcome_missing')}
        options=${OUTCOMES.map((o) => ({ value: o, label: t(`center.outcomes.${o}`) }))}
      />
      <${TextField} name="note" label=${t('center.close.note')} value=${note} onInput=${setNote} max=${2000} rows=${2} />
    <//>
  `;
}

export function ReopenForm({ act, entry, busy, error, onCancel }) {
  return html`
    <${ActionForm}
      id="reopen"
      title=${t('center.reopen.title')}
      submitLabel=${t('center.reopen.submit')}
      busy=${busy}
      error=${error}
      onCancel=${onCancel}
      onSubmit=${() => act([entry('reopen', {})])}
    >
      <p class="action-form__hint">${t('center.reopen.hint')}</p>
    <//>
  `;
}
