// The one vocabulary of the report categories for every app (citizen, officer, console, the
// statistics) and both languages: names, colour, the pin's shape and its mark, all read from
// categories.json (app/stats/labels.py holds the server's copy of the names, checked equal by a
// test). A pin's mark is an icon, never a letter: a letter is a word's first letter and changed
// with the language ("C" was Cháy nổ in Vietnamese and Crime in English).
import data from './categories.json';
import { getLang } from './i18n.js';

const BY_CODE = new Map(data.categories.map((c) => [c.code, c]));
const FALLBACK = BY_CODE.get('other');

/** The codes in the order every app lists them. */
export const CATEGORIES = data.categories.map((c) => c.code);

const entry = (code) => BY_CODE.get(code) ?? FALLBACK;

/** The category's name in `lang` (default: the page's language). */
export const categoryName = (code, lang = getLang()) => entry(code).names[lang] ?? entry(code).names.vi;
export const categoryColour = (code) => entry(code).colour;
/** The icon's path data (24×24 viewBox, drawn with a round stroke in currentColor). */
export const categoryIcon = (code) => entry(code).icon;

/** `{vi: {crime: name, ...}, en: {...}}`, for the translation files that still name categories by key. */
export function categoryNames() {
  const out = {};
  for (const c of data.categories) {
    for (const [lang, name] of Object.entries(c.names)) (out[lang] ??= {})[c.code] = name;
  }
  return out;
}

/** The icon as SVG markup (for Leaflet's divIcon, which takes a string). */
export function iconSvg(code, className = 'pin__mark') {
  const paths = categoryIcon(code).map((d) => `<path d="${d}"/>`).join('');
  return `<svg class="${className}" data-mark="${entry(code).code}" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">${paths}</svg>`;
}

/** A pin: the category's shape in its colour, its icon inside (pin.css draws it). */
export const pinHtml = (code) => `<span class="pin__shape"></span>${iconSvg(code)}`;

/**
 * CSS giving each category's colour and ink to the elements `selectors(code)` names, as the
 * custom properties --pin-colour and --pin-ink (and `extra(code, colour)` for an app's own needs).
 */
export function categoryCss(selectors, extra = () => '') {
  return data.categories
    .map((c) => `${selectors(c.code)} { --pin-colour: ${c.colour}; --pin-ink: ${c.ink}; ${extra(c.code, c.colour)} }`)
    .join('\n');
}

export const shapeOf = (code) => entry(code).shape;
