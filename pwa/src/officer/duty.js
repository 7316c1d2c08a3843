// The officer app's connection and duty state as ONE machine (issue 23). Before, the network, the
// session, the availability and the sharing each listened to `online` on their own and each
// assumed the others had started first; after a start with no signal nothing brought them
// together again, and only a reload did. Now every transition goes through `dispatch`:
//
//   link     offline ──online──▶ checking ──server answered──▶ online
//               ▲                   │ no answer ▼              ▲
//               │               unreachable ── asked again ────┘ (after 1, 2, 4, 8, 8 … s)
//               └──────offline─────────┴────────────────────────┘
//            any ──401──▶ expired (back to sign-in)      any ──sign-out──▶ signed_out
//   choice   what the officer chose: the availability (availability.js) and the sharing
//            (sharing.js), each persisted in localStorage. Kept across an expiry when the same
//            officer signs in again within RESUME_MS (the server ended the session, not the
//            shift); forgotten at a sign-out, so the next sign-in asks again.
//
// Reaching `online` reconciles in one order: what the officer chose offline goes first (the
// availability, then the held position fixes), then the server's record is read back, then the
// unit's incidents are pulled. The screens read `link` for the banner, which so agrees with the
// pill (core/ui/online-status.js) as soon as the server has answered once.
import { useEffect, useState } from 'preact/hooks';
import { request } from '../core/api.js';
import { ENDED_KEY } from '../core/session.js';
import { availability } from './availability.js';
import { officer } from './model.js';
import { sharing } from './sharing.js';

const RETRIES_MS = [1000, 2000, 4000, 8000];
// An expiry followed by a sign-in within this time is the same shift: the choices hold. Longer,
// and yesterday's "available" says nothing about today (the availability is asked again).
const RESUME_MS = 60 * 60 * 1000;
const recordKey = (user) => `sos.officer.duty.${user}`;

/** `{user, at}` of the last session the server ended, as the app frame found it; read once. */
function takeEndedSession() {
  try {
    const ended = JSON.parse(localStorage.getItem(ENDED_KEY));
    localStorage.removeItem(ENDED_KEY);
    return ended?.user != null ? ended : null;
  } catch {
    return null;
  }
}

function readRecord(user) {
  try {
    return JSON.parse(localStorage.getItem(recordKey(user))) ?? {};
  } catch {
    return {};
  }
}

function writeRecord(user, record) {
  try {
    if (record) localStorage.setItem(recordKey(user), JSON.stringify(record));
    else localStorage.removeItem(recordKey(user));
  } catch {
    // not remembered: after an expiry the officer is asked again
  }
}

class Duty {
  constructor() {
    this.listeners = new Set();
    this.value = { link: 'signed_out' };
    this.session = null;
    this.retry = 0;
    this.timer = null;
    this.checking = null;
    this.onOnline = () => this.dispatch('online');
    this.onOffline = () => this.dispatch('offline');
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  set(link) {
    if (this.value.link === link) return;
    this.value = { ...this.value, link };
    for (const fn of this.listeners) fn(this.value);
  }

  /**
   * Signed in (or started with a stored session): start every part, resume the choices an expiry
   * interrupted, and find out whether the server is there. `onExpired()` sends to sign-in.
   */
  start(session, { isOfficer, onExpired }) {
    if (this.session?.token === session.token) return;
    this.stop();
    this.session = session;
    this.isOfficer = isOfficer;
    this.onExpired = onExpired;
    const user = session.user.id;
    const ended = takeEndedSession(); // found out by the app frame, maybe before this ran
    const record = readRecord(user);
    const expiredAt = Math.max(
      record.expired_at ?? 0,
      String(ended?.user) === String(user) ? Number(ended.at) || 0 : 0,
    );
    const resume = Date.now() - expiredAt < RESUME_MS;
    writeRecord(user, { started_at: Date.now() });
    const expired = () => this.dispatch('expired');
    officer.start(session, expired);
    if (isOfficer) {
      availability.start(session, {
        onExpired: expired,
        onMe: (me) => officer.setDisplayName(me.display_name),
        resume,
      });
      sharing.start(session, { onExpired: expired, resume });
    }
    addEventListener('online', this.onOnline);
    addEventListener('offline', this.onOffline);
    this.value = { link: 'signed_out' };
    this.dispatch(navigator.onLine ? 'online' : 'offline');
  }

  stop() {
    removeEventListener('online', this.onOnline);
    removeEventListener('offline', this.onOffline);
    clearTimeout(this.timer);
    this.session = null;
  }

  /** The one place the link changes. */
  dispatch(event) {
    if (!this.session) return;
    switch (event) {
      case 'offline':
        clearTimeout(this.timer);
        this.set('offline');
        break;
      case 'online':
        // The phone says it has a network; the server decides whether the session still holds.
        this.retry = 0;
        this.set('checking');
        this.check();
        break;
      case 'answered':
        this.retry = 0;
        if (!navigator.onLine) {
          this.set('offline'); // the answer crossed an `offline` event: the pill says offline
          break;
        }
        this.set('online');
        this.reconcile();
        break;
      case 'unanswered':
        if (!navigator.onLine) {
          this.set('offline');
        } else {
          // A network that does not reach the server (yet: the radio is often back before the
          // route): said so, and asked again soon, then less often.
          this.set('unreachable');
          clearTimeout(this.timer);
          const wait = RETRIES_MS[Math.min(this.retry, RETRIES_MS.length - 1)];
          this.retry += 1;
          this.timer = setTimeout(() => this.value.link === 'unreachable' && this.check(), wait);
        }
        break;
      case 'expired':
        this.expire();
        break;
      default:
        throw new Error(`duty: unknown event ${event}`);
    }
  }

  async check() {
    const session = this.session;
    if (this.checking === session) return; // one question at a time per session
    this.checking = session;
    try {
      await request('/api/auth/me', { token: session.token });
      if (this.session === session) this.dispatch('answered');
    } catch (error) {
      if (this.session === session) this.dispatch(error.status === 401 ? 'expired' : 'unanswered');
    } finally {
      if (this.checking === session) this.checking = null;
    }
  }

  /** Back in contact: what was chosen offline goes, then the server's own record is read. */
  async reconcile() {
    if (this.isOfficer) {
      await availability.send();
      await availability.refresh();
      sharing.flush();
    }
    officer.pull();
  }

  /** The server ended the session: the choices are kept for the next sign-in of this officer. */
  expire() {
    const { onExpired } = this;
    if (!this.session) return;
    this.release();
    onExpired?.();
  }

  /**
   * The signed-in screens went away while this machine still ran: the app frame learnt first that
   * the session is over (its own check at start, core/ui/police-app.js). Same as an expiry, minus
   * the call back to the frame, which knows.
   */
  release() {
    const session = this.session;
    if (!session) return;
    writeRecord(session.user.id, { expired_at: Date.now() });
    this.stopParts();
    this.stop();
    this.set('expired');
  }

  stopParts() {
    officer.stop();
    availability.stop();
    sharing.stop();
  }

  /** Signing out on purpose: the choices are forgotten, the next sign-in asks again. */
  async signOut() {
    const session = this.session;
    if (!session) return;
    writeRecord(session.user.id, null);
    takeEndedSession();
    availability.forget();
    sharing.forget();
    availability.stop();
    await sharing.stop();
    this.stop();
    this.set('signed_out');
  }
}

export const duty = new Duty();

export function useDuty() {
  const [value, setValue] = useState(duty.value);
  useEffect(() => {
    setValue(duty.value);
    return duty.subscribe(setValue);
  }, []);
  return value;
}
