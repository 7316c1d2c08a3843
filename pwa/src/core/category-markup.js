// A category's pin and icon as markup strings and CSS, from the one vocabulary (categories.json).
// No Preact here: Leaflet's divIcon takes a string.
import { categoryIcon } from './categories.js';
import data from './categories.json';

/** The icon as SVG markup (for Leaflet's divIcon, which takes a string). */
export function iconSvg(code, className = 'pin__mark') {
  return `<svg class="${className}" data-mark="${code}" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><path d="${categoryIcon(code)}"/></svg>`;
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
