import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { t } from '../../core/i18n.js';
import { formatTime } from '../format.js';

const MAX_MESSAGE = 1000;

/** The police's messages and the citizen's own additions, oldest first; and a box to add one. */
export function Thread({ report, onAdd }) {
  const [text, setText] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);

  async function submit(event) {
    event.preventDefault();
    const value = text.trim();
    if (!value) {
      setError(t('citizen.detail.add_empty'));
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onAdd(value);
      setText('');
    } catch (failure) {
      setError(String(failure?.message ?? failure));
    } finally {
      setBusy(false);
    }
  }

  return html`
    <section class="card thread" aria-labelledby="thread-heading">
      <h2 class="card__heading" id="thread-heading">${t('citizen.detail.thread')}</h2>
      ${report.thread.length === 0 && html`<p class="muted">${t('citizen.detail.thread_empty')}</p>`}
      <ol class="messages">
        ${report.thread.map(
          (m) => html`
            <li key=${m.id} id=${`message-${m.id}`} tabindex="-1" class=${`message message--${m.from}`} data-from=${m.from}>
              <p class="message__meta">
                <strong>${m.from === 'police' ? t('citizen.detail.police') : t('citizen.detail.me')}</strong>
                <span>${formatTime(m.at)}</span>
                ${m.pending && html`<span class="message__pending">◷ ${t('citizen.detail.pending')}</span>`}
              </p>
              <p class="message__text">${m.text}</p>
            </li>
          `,
        )}
      </ol>
      <form class="thread__form" onSubmit=${submit}>
        <div class="field">
          <label for="add-detail">${t('citizen.detail.add_label')}</label>
          <textarea
            id="add-detail"
            rows="3"
            maxlength=${MAX_MESSAGE}
            placeholder=${t('citizen.detail.add_hint')}
            value=${text}
            onInput=${(e) => setText(e.currentTarget.value)}
          ></textarea>
        </div>
        ${error && html`<p class="form-error" role="alert">${error}</p>`}
        <button class="button button--primary" type="submit" disabled=${busy}>${t('citizen.detail.add_send')}</button>
      </form>
    </section>
  `;
}
