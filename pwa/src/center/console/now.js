// One clock for the whole console: every "time since" and countdown moves on the same tick.
import { useEffect, useState } from 'preact/hooks';

const listeners = new Set();
let timer = null;

function tick() {
  const now = Date.now();
  for (const fn of listeners) fn(now);
}

/** The current time in ms, re-rendering the caller every second. */
export function useNow() {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    listeners.add(setNow);
    // Aligned to the wall clock's seconds, so every counter on screen turns over together.
    timer ??= setTimeout(function align() {
      tick();
      timer = setTimeout(align, 1000 - (Date.now() % 1000));
    }, 1000 - (Date.now() % 1000));
    return () => {
      listeners.delete(setNow);
      if (!listeners.size) {
        clearTimeout(timer);
        timer = null;
      }
    };
  }, []);
  return now;
}
