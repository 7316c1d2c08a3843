// One polite live region for the whole app: what changed out of sight (a report was sent, the
// police changed its status) is read out by screen readers without moving the focus.
//
// An announcement is a function that makes its words, not the words: the region keeps what was
// said last in the language chosen now, so after a switch no sentence in the other one is left
// for a screen reader (or a braille display) to find.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { useLang } from '../core/use-lang.js';

const listeners = new Set();

/** `words()` returns the sentence in the current language (`() => t(...)`). */
export function announce(words) {
  for (const fn of listeners) fn(words);
}

export function Announcer() {
  useLang(); // a new language renders the last announcement again, in that language
  const [words, setWords] = useState(null);
  useEffect(() => {
    const show = (next) => {
      // Same words twice in a row must still be read: clear, then set on the next frame.
      setWords(null);
      requestAnimationFrame(() => setWords(() => next));
    };
    listeners.add(show);
    return () => listeners.delete(show);
  }, []);
  return html`<div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">${words ? words() : ''}</div>`;
}
