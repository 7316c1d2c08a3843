// Translations: Vietnamese by default, English on request, the choice remembered on the device.
// Both dictionaries are bundled because they are small and switching must work offline at once.
import vi from '../i18n/vi.json';
import en from '../i18n/en.json';
// Through categories.js (not the JSON itself), so that the vocabulary and its accessors share the
// one chunk every app loads, rather than a chunk of their own (a first visit's bytes).
import { vocabulary } from './categories.js';

const DICTIONARIES = { vi, en };

// The categories' names come from the one vocabulary of every app (core/categories.json), under
// the keys the citizen and officer screens ask for (`citizen.categories.<code>.label`).
for (const { code, names } of vocabulary.categories) {
  for (const [lang, name] of Object.entries(names)) {
    const categories = DICTIONARIES[lang].citizen.categories;
    categories[code] = { ...categories[code], label: name };
  }
}
const DEFAULT = 'vi';
const STORAGE_KEY = 'sos.lang';
const listeners = new Set();

export const LANGUAGES = [
  { code: 'vi', label: 'Tiếng Việt', short: 'VI' },
  { code: 'en', label: 'English', short: 'EN' },
];

let current = readStored() ?? DEFAULT;
document.documentElement.lang = current;

function readStored() {
  try {
    const code = localStorage.getItem(STORAGE_KEY);
    return code in DICTIONARIES ? code : null;
  } catch {
    return null; // storage blocked (private mode, policy): fall back to the default
  }
}

export function getLang() {
  return current;
}

export function setLang(code) {
  if (!(code in DICTIONARIES) || code === current) return;
  current = code;
  document.documentElement.lang = code;
  try {
    localStorage.setItem(STORAGE_KEY, code);
  } catch {
    // Not remembered, but the switch still applies to this page.
  }
  for (const fn of listeners) fn(code);
}

/** Call `fn(code)` whenever the language changes; returns the unsubscribe function. */
export function onLangChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function lookup(dict, key) {
  let node = dict;
  for (const part of key.split('.')) node = node?.[part];
  return typeof node === 'string' ? node : undefined;
}

// A key missing in English shows the Vietnamese text rather than a raw key.
const translate = (dicts, key) => lookup(dicts[current], key) ?? lookup(dicts[DEFAULT], key);

function fill(text, params) {
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

/** `t('police.sign_in')`; `{name}` placeholders are filled from `params`. */
export function t(key, params) {
  return fill(translate(DICTIONARIES, key) ?? key, params);
}

/**
 * The strings of a part loaded after sign-in (the console, the stats page), carried by its own
 * chunk rather than by the dictionaries every app and every citizen's first visit download.
 * Its `t` asks the shared dictionaries for what it does not have (`police.*`, `common.*`);
 * `has(key)` says whether the part has a key in the current language.
 */
export function withStrings(dicts) {
  return {
    t: (key, params) => {
      const text = translate(dicts, key);
      return text === undefined ? t(key, params) : fill(text, params);
    },
    has: (key) => lookup(dicts[current], key) !== undefined,
  };
}
