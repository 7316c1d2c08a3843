// The sound of the console: a beep made with Web Audio (no file to fetch, nothing to decode),
// muted by choice and remembered. Browsers only let a page make sound after the person has
// clicked or typed in it, so the audio starts on the first such gesture; until then `blocked`
// is true and the console says so next to the sound switch.

const MUTED_KEY = 'sos.center.muted';

// Each sound a short pattern of (frequency Hz, start s, length s): distinct by ear, not by volume.
const PATTERNS = {
  arrival: [[880, 0, 0.14], [1175, 0.2, 0.2]],
  escalation: [[1319, 0, 0.12], [988, 0.16, 0.12], [1319, 0.32, 0.12], [988, 0.48, 0.2]],
  reminder: [[784, 0, 0.12]],
};

class Beeper {
  constructor() {
    this.context = null;
    this.count = 0; // sounds actually played: shown on the console root for tests and support
    this.muted = readMuted();
    this.listeners = new Set();
    this.unlock = () => this.start();
  }

  /** Listen for the first gesture of the page; call once when the console mounts. */
  arm() {
    addEventListener('pointerdown', this.unlock, true);
    addEventListener('keydown', this.unlock, true);
  }

  disarm() {
    removeEventListener('pointerdown', this.unlock, true);
    removeEventListener('keydown', this.unlock, true);
  }

  start() {
    const Context = globalThis.AudioContext ?? globalThis.webkitAudioContext;
    if (!Context) return;
    this.context ??= new Context();
    if (this.context.state === 'suspended') this.context.resume().then(() => this.changed(), () => {});
    else this.changed();
  }

  get blocked() {
    return !this.context || this.context.state !== 'running';
  }

  setMuted(muted) {
    this.muted = muted;
    try {
      localStorage.setItem(MUTED_KEY, muted ? '1' : '0');
    } catch {
      // not remembered; applies to this page
    }
    this.changed();
  }

  play(kind) {
    if (this.muted || this.blocked) return false;
    const ctx = this.context;
    const now = ctx.currentTime;
    for (const [frequency, start, length] of PATTERNS[kind] ?? PATTERNS.arrival) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = 'square';
      osc.frequency.value = frequency;
      // A quick attack and release: no click at either end.
      gain.gain.setValueAtTime(0.0001, now + start);
      gain.gain.exponentialRampToValueAtTime(0.18, now + start + 0.015);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + start + length);
      osc.connect(gain).connect(ctx.destination);
      osc.start(now + start);
      osc.stop(now + start + length + 0.02);
    }
    this.count += 1;
    this.changed();
    return true;
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  changed() {
    for (const fn of this.listeners) fn();
  }
}

function readMuted() {
  try {
    return localStorage.getItem(MUTED_KEY) === '1';
  } catch {
    return false;
  }
}

export const beeper = new Beeper();
