import { html } from 'htm/preact';
import { categoryColour, categoryIcon, CATEGORIES as CODES } from '../core/categories.js';

// The four report categories of the domain (DESIGN §2), in the order a citizen sees them, with
// the icons and colours of the one vocabulary every app shares (core/categories.json): the tile
// of "fire" here has the colour and the drawing of a fire pin on the console's map.
// Icons are drawn inline so that they cost no request and follow the tile's text colour.
const stroke = (paths) => html`
  <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2"
    stroke-linecap="round" stroke-linejoin="round" focusable="false">${paths}</svg>
`;

export const CATEGORIES = CODES.map((code) => ({
  code,
  icon: stroke(html`<path d=${categoryIcon(code)} />`),
}));

// Each tile's accent (its top band, icon, and background once chosen) from the same colours, as a
// constructed stylesheet (same-origin code, so the CSP's style-src 'self' allows it); it comes
// after citizen.css in the cascade and so wins over the values written there.
if (typeof document !== 'undefined' && 'adoptedStyleSheets' in document) {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CODES.map((code) => `.category--${code} { --accent: ${categoryColour(code)}; }`).join('\n'));
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
