// Names for the codes and ids in an incident's logs: units (`ward-26704` → Phường Phú Mỹ,
// `dept-fire` → the fire police, in the page's language) and the people who signed entries (a
// user id → their display name). From GET /api/units, once per sign-in, and remembered on the
// phone so a start with no signal still shows names.
import { useEffect, useState } from 'preact/hooks';
import { request } from '../core/api.js';
import { getLang, t } from '../core/i18n.js';

const KEY = 'sos.officer.directory';

class Directory {
  constructor() {
    this.units = new Map();
    this.people = new Map();
    this.listeners = new Set();
    this.loading = null;
    this.apply(readStored());
  }

  apply(body) {
    if (!body) return;
    this.units = new Map((body.units ?? []).map((u) => [u.code, u]));
    this.people = new Map((body.people ?? []).map((p) => [String(p.id), p.display_name]));
    for (const fn of this.listeners) fn();
  }

  load(session) {
    this.loading ??= request('/api/units', { token: session.token }).then(
      (body) => {
        this.apply(body);
        try {
          localStorage.setItem(KEY, JSON.stringify(body));
        } catch {
          // not remembered: the next start with no signal shows codes for units it never saw
        }
      },
      () => {
        this.loading = null; // offline or refused: the stored copy stays, the next start retries
      },
    );
    return this.loading;
  }

  /** The unit's name in the page's language; the code only if the unit is unknown here. */
  unitName(code) {
    if (code === 'center') return t('officer.center');
    const unit = this.units.get(code);
    if (!unit) return code;
    return (getLang() === 'en' && unit.name_en) || unit.name || code;
  }

  /** Who signed an entry: the display name the server knows, else what the entry carries. */
  personName(id, fallback) {
    return this.people.get(String(id)) || fallback || '';
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

function readStored() {
  try {
    return JSON.parse(localStorage.getItem(KEY));
  } catch {
    return null;
  }
}

export const directory = new Directory();

/** Re-render when the names arrive. */
export function useDirectory() {
  const [, setTick] = useState(0);
  useEffect(() => directory.subscribe(() => setTick((n) => n + 1)), []);
  return directory;
}
