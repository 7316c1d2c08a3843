// Translation files at build time: a key present in one language and missing in the other fails
// the build, rather than showing a raw key (or the wrong language) to someone in an emergency.
import { join } from 'node:path';
import { readJson } from './files.mjs';

function keys(node, prefix = '') {
  return Object.entries(node).flatMap(([key, value]) =>
    typeof value === 'object' ? keys(value, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

export function loadTranslations(root) {
  // The script-less pages' own words (lite/*.json, as `lite.*`) are used by the build and the
  // server only: kept out of the files the apps bundle, so no app carries them.
  // The categories' names come from the one vocabulary (src/core/categories.json), put where the
  // apps find them at run time too (core/i18n.js): `citizen.categories.<code>.label`.
  const vocabulary = readJson(join(root, 'src', 'core', 'categories.json'));
  const read = (lang) => {
    const dict = {
      ...readJson(join(root, 'src', 'i18n', `${lang}.json`)),
      lite: readJson(join(root, 'src', 'i18n', 'lite', `${lang}.json`)),
    };
    for (const { code, names } of vocabulary.categories) {
      dict.citizen.categories[code] = { ...dict.citizen.categories[code], label: names[lang] };
    }
    return dict;
  };
  const vi = read('vi');
  const en = read('en');
  const viKeys = new Set(keys(vi));
  const enKeys = new Set(keys(en));
  const missing = [
    ...[...viKeys].filter((k) => !enKeys.has(k)).map((k) => `en.json lacks ${k}`),
    ...[...enKeys].filter((k) => !viKeys.has(k)).map((k) => `vi.json lacks ${k}`),
  ];
  if (missing.length) throw new Error(`translations differ:\n  ${missing.join('\n  ')}`);
  const lookup = (dict) => (key) => key.split('.').reduce((node, part) => node[part], dict);
  return { vi: lookup(vi), en: lookup(en) };
}
