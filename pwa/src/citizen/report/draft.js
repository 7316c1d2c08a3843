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

// Merged into what is kept: fields the report screen does not edit (the ward typed into the
// script-less form of "/", see lite-takeover.js) stay until the report is sent or discarded.
export function saveDraft(draft) {
  try {
    localStorage.setItem(KEY, JSON.stringify({ ...loadDraft(), ...draft }));
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
