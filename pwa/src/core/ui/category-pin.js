// A category's pin and icon as components, from the one vocabulary (core/categories.js).
import { html } from 'htm/preact';
import { categoryIcon } from '../categories.js';
import data from '../categories.json';

/** The category's icon: the same drawing in every app and language (`data-mark` names it). */
export function CategoryMark({ category, className = 'pin__mark', strokeWidth = 2.4 }) {
  return html`
    <svg class=${className} data-mark=${category} viewBox="0 0 24 24" fill="none" stroke="currentColor"
      stroke-width=${strokeWidth} stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">
      ${categoryIcon(category).map((d) => html`<path d=${d} />`)}
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

/** The icon as SVG markup (for Leaflet's divIcon, which takes a string). */
export function iconSvg(code, className = 'pin__mark') {
  const paths = categoryIcon(code).map((d) => `<path d="${d}"/>`).join('');
  return `<svg class="${className}" data-mark="${code}" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${paths}</svg>`;
}

/** A pin as markup: the category's shape (core/pin.css), its icon inside. */
export const pinHtml = (code) => `<span class="pin__shape"></span>${iconSvg(code)}`;

/**
 * CSS giving each category's colour and ink to the elements `selectors(code)` names, as the
 * custom property --pin-colour that core/pin.css and the apps' styles use.
 * (Only the console's and the statistics' chunks carry this, not a citizen's first visit.)
 */
export function categoryCss(selectors) {
  return data.categories
    .map((c) => `${selectors(c.code)} { --pin-colour: ${c.colour}; }`)
    .join('\n');
}
