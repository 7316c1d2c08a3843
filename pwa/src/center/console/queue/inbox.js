// The live queue: the `inbox/center` document (root Y.Map `incidents`: id -> summary, written by
// the server's fan-out), followed over WebSocket and cached in IndexedDB.
//
// It also notices what must not be missed: a report that arrives while the console is open, and an
// incident that becomes escalated. Those are told to `onArrival` / `onEscalation` only after the
// first sync with the server, so that opening the console does not ring for the whole backlog.
import { LiveDoc } from '../live-doc.js';

const SEEN_KEY = 'sos.center.seen';

function readSeen() {
  try {
    return new Set(JSON.parse(localStorage.getItem(SEEN_KEY)) ?? []);
  } catch {
    return new Set();
  }
}

export class Inbox {
  constructor({ token, onArrival = () => {}, onEscalation = () => {} }) {
    this.token = token;
    this.onArrival = onArrival;
    this.onEscalation = onEscalation;
    this.items = [];
    this.byId = new Map();
    this.status = 'connecting';
    this.denied = null;
    this.primed = false; // true once the server's state has been seen: later news is news
    this.seen = readSeen();
    this.listeners = new Set();
    this.live = new LiveDoc('inbox/center', {
      token,
      persist: true,
      onStatus: (status, detail) => this.status_(status, detail),
    });
    this.live.ready.then(() => this.attach());
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  notify() {
    for (const fn of this.listeners) fn();
  }

  attach() {
    const map = this.live.doc.getMap('incidents');
    if (this.map === map) return;
    this.map = map;
    map.observe(() => this.read());
    this.read();
  }

  status_(status, detail) {
    if (status === 'reset') {
      this.live.ready.then(() => this.attach());
      return;
    }
    this.status = status;
    this.denied = status === 'denied' ? detail : null;
    if (status === 'live' && !this.primed) {
      this.read();
      this.primed = true;
    }
    this.notify();
  }

  read() {
    const next = new Map();
    for (const [id, value] of this.map.entries()) {
      if (value && typeof value === 'object') next.set(id, { ...value, id });
    }
    if (this.primed) {
      for (const [id, item] of next) {
        const before = this.byId.get(id);
        if (!before) this.onArrival(item);
        if (item.escalation && item.escalation !== before?.escalation) this.onEscalation(item);
      }
    }
    this.byId = next;
    this.items = [...next.values()];
    this.pruneSeen();
    this.notify();
  }

  /** Awaiting a first look: still untriaged, and not opened on this browser. */
  isUnseen(item) {
    return item.status === 'new' && !this.seen.has(item.id);
  }

  unseen() {
    return this.items.filter((item) => this.isUnseen(item));
  }

  markSeen(ids) {
    let changed = false;
    for (const id of ids) {
      if (!this.seen.has(id)) {
        this.seen.add(id);
        changed = true;
      }
    }
    if (changed) {
      this.saveSeen();
      this.notify();
    }
  }

  pruneSeen() {
    // Only ids still in the queue are worth remembering; the rest would grow without end.
    if (!this.primed) return;
    const before = this.seen.size;
    for (const id of this.seen) if (!this.byId.has(id)) this.seen.delete(id);
    if (this.seen.size !== before) this.saveSeen();
  }

  saveSeen() {
    try {
      localStorage.setItem(SEEN_KEY, JSON.stringify([...this.seen]));
    } catch {
      // not remembered across reloads; still right for this page
    }
  }

  /** At sign-out: nothing of the queue stays on this computer. */
  async forget() {
    this.live.destroy();
    await this.live.clearCache().catch(() => {});
    try {
      localStorage.removeItem(SEEN_KEY);
    } catch {
      // storage blocked
    }
  }

  destroy() {
    this.live.destroy();
  }
}
