// The stats page's own strings, carried by its lazily loaded chunk (as the console's are) rather
// than by the dictionaries every app, and every citizen's first visit, downloads. Anything not
// found here is asked of the shared dictionaries (`police.*`, `common.*`).
import { getLang, t as sharedT } from '../../core/i18n.js';
import vi from './strings/vi.json';
import en from './strings/en.json';

const DICTIONARIES = { vi, en };

function lookup(dict, key) {
  let node = dict;
  for (const part of key.split('.')) node = node?.[part];
  return typeof node === 'string' ? node : undefined;
}

export function t(key, params) {
  const text = lookup(DICTIONARIES[getLang()], key) ?? lookup(vi, key);
  if (text === undefined) return sharedT(key, params);
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}
