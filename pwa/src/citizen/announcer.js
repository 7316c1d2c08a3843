// One polite live region for the whole app: what changed out of sight (a report was sent, the
// police changed its status) is read out by screen readers without moving the focus.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set();

export function announce(text) {
  for (const fn of listeners) fn(text);
}

export function Announcer() {
  const [text, setText] = useState('');
  useEffect(() => {
    const show = (next) => {
      // Same words twice in a row must still be read: clear, then set on the next frame.
      setText('');
      requestAnimationFrame(() => setText(next));
    };
    listeners.add(show);
    return () => listeners.delete(show);
  }, []);
  return html`<div class="visually-hidden" role="status" aria-live="polite" aria-atomic="true">${text}</div>`;
}
