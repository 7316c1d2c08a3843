// New work must be impossible to miss: a banner that stays until the officer looks, the phone
// vibrating, a sound (repeated every minute while an assignment waits; the officer may mute it),
// and the count in the page title and on the installed app's icon.
//
// "New" is remembered per officer on the phone (localStorage), so a reload does not ring again:
// an assignment is new until someone of the unit acknowledges it or this officer opens it; a
// report routed to the unit's area (not yet dispatched) is new until opened or dismissed.
import { useEffect, useState } from 'preact/hooks';

const MUTE_KEY = 'sos.officer.mute';
const REPEAT_MS = 60_000;
const VIBRATION = [400, 150, 400, 150, 400];

const keyOf = (item) => `${item.id}:${item.assigned ? 'a' : 'r'}`;

function load(key) {
  try {
    return JSON.parse(localStorage.getItem(key));
  } catch {
    return null;
  }
}

function save(key, value) {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // not remembered: at worst the banner shows again after a reload
  }
}

// -- sound: Web Audio, allowed only once the officer has touched the page ---------------------------
let audio = null;

function unlockAudio() {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  audio ??= new Context();
  if (audio.state === 'suspended') audio.resume().catch(() => {});
}

if (typeof window !== 'undefined') addEventListener('pointerdown', unlockAudio, { passive: true });

function beep() {
  if (!audio || audio.state !== 'running') return;
  const start = audio.currentTime;
  for (const offset of [0, 0.3, 0.6]) {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.type = 'square';
    tone.frequency.value = offset === 0.3 ? 660 : 880;
    gain.gain.setValueAtTime(0.25, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.25);
    tone.connect(gain).connect(audio.destination);
    tone.start(start + offset);
    tone.stop(start + offset + 0.28);
  }
}

export const isMuted = () => load(MUTE_KEY) === true;

// Chrome refuses a vibration before the first tap in the page, and says so in the console (an
// "intervention"): an officer opening the app from the home screen would see that on every start.
// Until then the banner, the title and (after the tap) the next ring carry the alert.
const mayVibrate = () => Boolean(navigator.vibrate) && (navigator.userActivation?.hasBeenActive ?? true);

/**
 * `{items, dismiss(), seen(id), muted, setMuted}` for `list` (the model's views). `items`: what is
 * new, assignments first.
 */
export function useAlerts(list, userId, title) {
  const seenKey = `sos.officer.seen.${userId}`;
  const [seen, setSeen] = useState(() => new Set(load(seenKey) ?? []));
  const [muted, setMutedState] = useState(isMuted);
  const remember = (next) => {
    const kept = [...next].slice(-500);
    save(seenKey, kept);
    setSeen(new Set(kept));
  };

  // An assignment someone of the unit already took is no longer news.
  const taken = list.filter((v) => v.assigned && v.stage && v.stage !== 'dispatched' && !seen.has(keyOf(v)));
  useEffect(() => {
    if (taken.length) remember([...seen, ...taken.map(keyOf)]);
  }, [taken.map(keyOf).join()]);

  const items = list
    .filter((v) => !seen.has(keyOf(v)) && !taken.includes(v))
    .sort((a, b) => Number(b.assigned) - Number(a.assigned) || a.priority - b.priority);
  const urgent = items.filter((v) => v.assigned).map(keyOf).join();

  useEffect(() => {
    if (!urgent) return undefined;
    const ring = () => {
      if (mayVibrate()) navigator.vibrate(VIBRATION);
      if (!isMuted()) beep();
    };
    ring();
    const timer = setInterval(ring, REPEAT_MS);
    return () => clearInterval(timer);
  }, [urgent]);

  useEffect(() => {
    // After the frame's own title effects (the app frame sets the plain title on a language change).
    const timer = setTimeout(() => {
      document.title = items.length ? `(${items.length}) ${title}` : title;
    });
    if (items.length) navigator.setAppBadge?.(items.length).catch(() => {});
    else navigator.clearAppBadge?.().catch(() => {});
    return () => clearTimeout(timer);
  }, [items.length, title]);

  return {
    items,
    muted,
    setMuted(value) {
      save(MUTE_KEY, value);
      setMutedState(value);
    },
    seen(id) {
      const keys = [`${id}:a`, `${id}:r`];
      if (keys.some((k) => !seen.has(k))) remember([...seen, ...keys]);
    },
    dismiss() {
      remember([...seen, ...items.map(keyOf)]);
    },
  };
}
