// Translations: Vietnamese by default, English on request, the choice remembered on the device.
// Both dictionaries are bundled because they are small and switching must work offline at once.
import vi from '../i18n/vi.json';
import en from '../i18n/en.json';

const DICTIONARIES = { vi, en };
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

/** `t('police.sign_in')`; `{name}` placeholders are filled from `params`. */
export function t(key, params) {
  // A key missing in English shows the Vietnamese text rather than a raw key.
  const text = lookup(DICTIONARIES[current], key) ?? lookup(DICTIONARIES[DEFAULT], key) ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}
