// The question asked before a step that cannot be taken back (cut someone off, cancel a warning on
// every phone): a modal alert dialog whose safe answer has the focus, so that Enter or Escape from a
// tired hand keeps things as they are. Clicking outside the box is "no" too.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';

/**
 * `id` names the title and text for screen readers; `yes` and `no` are `{label, action, className}`
 * (`action` becomes the button's data-action); `children` go between the title and the buttons.
 */
export function ConfirmDialog({ id, title, text, textClass = '', yes, no, boxClass = '', actionsClass = '', onYes, onNo, children }) {
  const box = useRef(null);
  useEffect(() => box.current?.querySelector(`[data-action=${no.action}]`)?.focus(), []);
  useEffect(() => {
    const key = (e) => e.key === 'Escape' && onNo();
    addEventListener('keydown', key);
    return () => removeEventListener('keydown', key);
  }, []);
  return html`
    <div class="overlay" onClick=${onNo}>
      <div class=${`overlay__box ${boxClass}`} role="alertdialog" aria-modal="true" aria-labelledby=${`${id}-title`}
        aria-describedby=${`${id}-text`} ref=${box} onClick=${(e) => e.stopPropagation()}>
        <h2 id=${`${id}-title`} class="overlay__title">${title}</h2>
        ${children}
        <p id=${`${id}-text`} class=${textClass}>${text}</p>
        <div class=${actionsClass}>
          <button type="button" class=${yes.className} data-action=${yes.action} onClick=${onYes}>${yes.label}</button>
          <button type="button" class=${no.className ?? 'button button--secondary'} data-action=${no.action} onClick=${onNo}>${no.label}</button>
        </div>
      </div>
    </div>
  `;
}
