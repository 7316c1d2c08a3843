// The report being written, kept while it is written: a closed tab or a phone call must not cost
// the citizen what they typed. Text in localStorage; photos and videos are in IndexedDB already
// (media.js, under the report id "draft").
const KEY = 'sos.draft';

export function loadDraft() {
  try {
    return JSON.parse(localStorage.getItem(KEY)) ?? {};
  } catch {
    return {};
  }
}

export function saveDraft(draft) {
  try {
    localStorage.setItem(KEY, JSON.stringify(draft));
  } catch {
    // not kept across a reload; nothing else depends on it
  }
}

export function clearDraft() {
  try {
    localStorage.removeItem(KEY);
  } catch {
    // nothing to clear
  }
}
