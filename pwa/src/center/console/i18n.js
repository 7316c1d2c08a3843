// The console's own strings. They travel with the console's chunk, which is fetched only after a
// dispatcher signs in, instead of growing the dictionaries every app (and every citizen's first
// visit) downloads. Keys look like the rest (`center.queue.title`); anything not found here is
// asked of the shared dictionaries, so `police.*` and `common.*` keep working.
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

/** Whether a key exists (optional labels, e.g. a reason code the server may add later). */
export const has = (key) => lookup(DICTIONARIES[getLang()], key) !== undefined;
