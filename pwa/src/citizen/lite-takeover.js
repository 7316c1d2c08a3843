// The HTML of "/" carries a plain report form that works before (and without) this script
// (pwa/tools/build/lite.mjs). When the app starts it replaces that form; what the person typed
// there meanwhile moves into the app's draft first, so nothing typed is lost. Only what was
// filled in is taken: an untouched form must not wipe a draft kept from an earlier visit.
import { loadDraft, saveDraft } from './report/draft.js';

const CATEGORIES = ['crime', 'traffic', 'fire', 'other'];

export function takeOverLiteForm(root = document) {
  const form = root.querySelector('form.lite-form');
  if (!form) return;
  const data = new FormData(form);
  const category = data.get('category');
  const description = String(data.get('description') ?? '');
  const ward = String(data.get('ward') ?? '');
  const typed = {};
  if (CATEGORIES.includes(category)) typed.category = category;
  if (description.trim()) typed.description = description;
  if (/^\d+$/.test(ward)) typed.ward = Number(ward);
  if (Object.keys(typed).length) saveDraft({ ...loadDraft(), ...typed });
}
