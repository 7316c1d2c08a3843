// categories.json is the one vocabulary of the report categories for every app (citizen, officer, console, the
// statistics) and both languages: names, colour, the pin's shape and its mark, all read from
// categories.json (app/stats/labels.py holds the server's copy of the names, checked equal by a
// test). A pin's mark is an icon, never a letter: a letter is a word's first letter and changed
// with the language ("C" was Cháy nổ in Vietnamese and Crime in English).
import data from './categories.json';
import { getLang } from './i18n.js';

export const vocabulary = data;
const BY_CODE = new Map(data.categories.map((c) => [c.code, c]));
const FALLBACK = BY_CODE.get('other');

/** The codes in the order every app lists them. */
export const CATEGORIES = data.categories.map((c) => c.code);

const entry = (code) => BY_CODE.get(code) ?? FALLBACK;

/** The category's name in `lang` (default: the page's language). */
export const categoryName = (code, lang = getLang()) => entry(code).names[lang] ?? entry(code).names.vi;
export const categoryColour = (code) => entry(code).colour;
/** The icon's path data, one `d` (24×24 viewBox, drawn with a round stroke in currentColor). */
export const categoryIcon = (code) => entry(code).icon;
