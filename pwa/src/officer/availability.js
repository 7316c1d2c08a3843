// The officer's availability (available / busy / off duty), which the command center reads with
// GET /api/officers. A change made with no signal waits in a one-entry queue in localStorage
// (the latest choice is all that matters) and goes with its own time when the network returns
// (duty.js says when: it is the one that follows the network).
import { useEffect, useState } from 'preact/hooks';
import { request } from '../core/api.js';

export const AVAILABILITY = ['available', 'busy', 'off_duty'];

class Availability {
  constructor() {
    this.listeners = new Set();
    this.session = null;
    this.value = { status: null, at: null, pending: false, error: null };
    this.sending = false;
  }

  key() {
    return `sos.officer.availability.${this.session.user.id}`;
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  update(changes) {
    this.value = { ...this.value, ...changes };
    try {
      localStorage.setItem(this.key(), JSON.stringify(this.value));
    } catch {
      // not kept across a restart; still sent from this page
    }
    for (const fn of this.listeners) fn(this.value);
  }

  /**
   * For officers only (the server refuses other roles). `onMe(record)`: the server's record.
   * `resume`: the last session was ended by the server during this shift (duty.js), so the choice
   * made in it holds for this one. Sent and read back by duty.js once the server answers.
   */
  start(session, { onExpired, onMe, resume = false }) {
    if (this.session?.token === session.token) return;
    this.session = session;
    this.onExpired = onExpired;
    this.onMe = onMe;
    let stored = null;
    try {
      stored = JSON.parse(localStorage.getItem(this.key()));
    } catch {
      // nothing usable stored
    }
    this.value = stored ?? { status: null, at: null, pending: false, error: null };
    if (resume && this.value.chosen_in) this.value.chosen_in = this.sessionTag();
    // Told at once: the screens subscribed before this start (effects run child first) and must
    // not keep showing the empty value until the server answers, which offline it never does.
    this.update({});
  }

  stop() {
    this.session = null;
  }

  /** Signed out on purpose: the next sign-in asks again. */
  forget() {
    if (!this.session) return;
    try {
      localStorage.removeItem(this.key());
    } catch {
      // the session tag no longer matches anyway
    }
    this.value = { status: null, at: null, pending: false, error: null };
  }

  set(status) {
    this.update({ status, at: Date.now(), pending: true, error: null, chosen_in: this.sessionTag() });
    return this.send();
  }

  /**
   * True until the officer has said, in this session, whether they can take work. Asked at every
   * sign-in: yesterday's "available" says nothing about today's shift, and the command center
   * would otherwise see the officer as "unknown" until they thought of it.
   */
  asking(value = this.value) {
    return Boolean(this.session) && value.chosen_in !== this.sessionTag();
  }

  sessionTag() {
    // Enough of the token to tell one sign-in from the next; the session itself is stored anyway.
    return this.session ? this.session.token.slice(-12) : null;
  }

  async send() {
    if (!this.session || !this.value.pending || this.sending) return;
    const sent = this.value;
    this.sending = true;
    try {
      const record = await request('/api/officers/me/availability', {
        method: 'PUT',
        body: { status: sent.status, at: sent.at },
        token: this.session.token,
      });
      // Changed again while this one was on its way: the newer choice still has to go.
      if (this.value.at === sent.at) {
        this.update({ status: record.availability, at: record.availability_at, pending: false });
      }
      this.onMe?.(record);
    } catch (error) {
      if (error.status === 401) this.onExpired?.();
      else if (error.status) this.update({ pending: false, error: error.code }); // refused: say so
    } finally {
      this.sending = false;
    }
    if (this.value.pending && this.value.at !== sent.at) this.send();
  }

  async refresh() {
    if (!this.session) return;
    try {
      const officers = await request('/api/officers', { token: this.session.token });
      const me = officers.find((o) => String(o.id) === String(this.session.user.id));
      if (!me) return;
      this.onMe?.(me);
      if (!this.value.pending) this.update({ status: me.availability, at: me.availability_at });
    } catch {
      // offline: the stored value stands
    }
  }
}

export const availability = new Availability();

export function useAvailability() {
  const [value, setValue] = useState(availability.value);
  useEffect(() => {
    setValue(availability.value);
    return availability.subscribe(setValue);
  }, []);
  return value;
}
