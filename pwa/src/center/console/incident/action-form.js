import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { t } from '../i18n.js';

/**
 * The frame of every dispatcher action: a form at the top of the incident, its first control
 * focused, Ctrl+Enter sends from anywhere in it, Esc (handled by the console) cancels.
 * `noValidate`: a missing choice is said by the form itself, next to the field and in the page's
 * language (the browser's bubble speaks the browser's language and vanishes in a second).
 */
/**
 * `[missing, check, clear]` for a field a form needs: `check(ok, form)` says whether the form may
 * be sent and, if not, marks the field missing and puts the focus on it (`selector` in `form`).
 */
export function useRequired(selector) {
  const [missing, setMissing] = useState(false);
  function check(ok, form) {
    if (ok) return true;
    setMissing(true);
    form?.querySelector(selector)?.focus();
    return false;
  }
  return [missing, check, () => setMissing(false)];
}

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
    if (!busy) onSubmit(new FormData(event.currentTarget), event.currentTarget);
  }

  return html`
    <form
      class=${danger ? 'action-form action-form--danger' : 'action-form'}
      ref=${form}
      aria-labelledby=${`${id}-title`}
      aria-busy=${busy ? 'true' : 'false'}
      data-form=${id}
      noValidate
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

/** A set of radio buttons drawn as a row of large choices; `error`: what is missing, said under the legend. */
export function Choices({ name, legend, options, value, onChange, columns, error }) {
  const errorId = `${name}-error`;
  return html`
    <fieldset
      class=${columns ? `choices choices--${columns}` : 'choices'}
      aria-invalid=${error ? 'true' : undefined}
      aria-describedby=${error ? errorId : undefined}
    >
      <legend>${legend}</legend>
      ${error && html`<p class="field-error" id=${errorId} role="alert">${error}</p>`}
      ${options.map(
        (option) => html`
          <label key=${option.value} class="choice">
            <input
              type="radio"
              name=${name}
              value=${option.value}
              checked=${String(value) === String(option.value)}
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

/** A text area with the count of characters left; `error`: what is missing, said under it. */
export function TextField({ name, label, value, onInput, max, rows = 3, required, placeholder, error }) {
  const errorId = `${name}-error`;
  return html`
    <label class="text-field">
      <span class="text-field__label">${label}</span>
      <textarea
        name=${name}
        rows=${rows}
        maxlength=${max}
        aria-required=${required ? 'true' : undefined}
        aria-invalid=${error ? 'true' : undefined}
        aria-describedby=${error ? errorId : undefined}
        placeholder=${placeholder}
        value=${value}
        onInput=${(e) => onInput(e.currentTarget.value)}
      ></textarea>
      ${error && html`<span class="field-error" id=${errorId} role="alert">${error}</span>`}
      <small class="text-field__count">${t('center.actions.chars_left', { n: max - value.length })}</small>
    </label>
  `;
}
