// A category's pin and icon as components, from the one vocabulary (core/categories.js).
import { html } from 'htm/preact';
import { categoryIcon } from '../categories.js';

/** The category's icon: the same drawing in every app and language (`data-mark` names it). */
export function CategoryMark({ category, className = 'pin__mark', strokeWidth = 2.4 }) {
  return html`
    <svg class=${className} data-mark=${category} viewBox="0 0 24 24" fill="none" stroke="currentColor"
      stroke-width=${strokeWidth} stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
      <path d=${categoryIcon(category)} />
    </svg>
  `;
}

/** The pin: shape in the category's colour, its icon inside (core/pin.css). `variant`: list, legend. */
export function CategoryPin({ category, variant }) {
  return html`
    <span class=${`pin${variant ? ` pin--${variant}` : ''} pin--${category}`} data-category=${category} aria-hidden="true">
      <span class="pin__shape"></span><${CategoryMark} category=${category} />
    </span>
  `;
}

