import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../i18n.js';

/**
 * The frame of every dispatcher action: a form at the top of the incident, its first control
 * focused, Ctrl+Enter sends from anywhere in it, Esc (handled by the console) cancels.
 */
export function ActionForm({ id, title, submitLabel, busy, error, onSubmit, onCancel, children, danger, focus = 'submit' }) {
  const form = useRef(null);

  useEffect(() => {
    const target =
      focus === 'submit'
        ? form.current?.querySelector('button[type=submit]')
        : form.current?.querySelector(focus);
    target?.focus();
  }, []);

  function keyDown(event) {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.current?.requestSubmit();
    }
  }

  function submit(event) {
    event.preventDefault();
    if (!busy) onSubmit(new FormData(event.currentTarget));
  }

  return html`
    <form
      class=${danger ? 'action-form action-form--danger' : 'action-form'}
      ref=${form}
      aria-labelledby=${`${id}-title`}
      aria-busy=${busy ? 'true' : 'false'}
      data-form=${id}
      onSubmit=${submit}
      onKeyDown=${keyDown}
    >
      <h3 class="action-form__title" id=${`${id}-title`}>${title}</h3>
      ${children}
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
      <div class="action-form__buttons">
        <button type="submit" class=${danger ? 'button button--danger' : 'button button--primary'} disabled=${busy}>
          ${busy ? t('center.actions.sending') : submitLabel}
        </button>
        <button type="button" class="button button--secondary" onClick=${onCancel}>
          ${t('center.actions.cancel')} <kbd>Esc</kbd>
        </button>
      </div>
    </form>
  `;
}

/** A set of radio buttons drawn as a row of large choices. */
export function Choices({ name, legend, options, value, onChange, required = true, columns }) {
  return html`
    <fieldset class=${columns ? `choices choices--${columns}` : 'choices'}>
      <legend>${legend}</legend>
      ${options.map(
        (option) => html`
          <label key=${option.value} class="choice">
            <input
              type="radio"
              name=${name}
              value=${option.value}
              checked=${String(value) === String(option.value)}
              required=${required}
              onChange=${() => onChange?.(option.value)}
            />
            <span class="choice__text">
              ${option.icon}
              <span>${option.label}</span>
              ${option.hint && html`<small>${option.hint}</small>`}
            </span>
          </label>
        `,
      )}
    </fieldset>
  `;
}

/** A text area with the count of characters left. */
export function TextField({ name, label, value, onInput, max, rows = 3, required, placeholder }) {
  return html`
    <label class="text-field">
      <span class="text-field__label">${label}</span>
      <textarea
        name=${name}
        rows=${rows}
        maxlength=${max}
        required=${required}
        placeholder=${placeholder}
        value=${value}
        onInput=${(e) => onInput(e.currentTarget.value)}
      ></textarea>
      <small class="text-field__count">${t('center.actions.chars_left', { n: max - value.length })}</small>
    </label>
  `;
}
