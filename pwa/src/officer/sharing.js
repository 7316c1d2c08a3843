// Sharing the officer's position with the command center (issue 16, docs/positions.md). Asked once
// per sign-in, next to availability; on only while the officer said yes AND is on duty (available
// or busy). Off duty, signed out or refused: the phone does not even watch the position.
//
// A fix goes at most every `interval_s` and only after a move of `move_m` (server settings from
// /api/config); standing still, a fix goes every half of `stale_s` (the heartbeat), so the
// console never greys an officer who is on duty, sharing and still located. Each fix is put in
// IndexedDB first and the whole queue is sent as one list (PUT /api/officers/me/position): with
// no signal they pile up and go together when coverage returns (duty.js); each keeps its own
// time, so the console shows a late one as old and never moves a marker back. High accuracy (GPS
// on, battery) only while on an incident.
//
// The heartbeat re-sends the browser's latest reading with the time of the heartbeat, rather than
// asking for a new one (getCurrentPosition): the watch already running reports every change of
// position, so while it has reported no error its latest reading IS where the phone is now; a
// second request would wake the radio (or the GPS, on an incident) every minute for an answer
// the watch already gave, and Chromium does not even answer it (maximumAge 0 with a watch
// running and no change: it waits until its timeout). When the watch reports an error (no
// position: a basement, the GPS off) the reading is dropped and nothing is re-sent until a new
// one comes, so the console greys the officer honestly.
//
// "The command center sees you" is said only once the server took a fix (204) within the stale
// threshold; until then, "sending your position".
import { useEffect, useState } from 'preact/hooks';
import { request } from '../core/api.js';
import { getConfig } from '../core/config.js';
import { openDatabase, transact } from '../core/idb.js';
import { availability } from './availability.js';
import { distance } from './location.js';
import { officer } from './model.js';

const ON_DUTY = ['available', 'busy'];
const WORKING = ['acknowledged', 'en_route', 'on_scene'];
const DEFAULTS = { interval_s: 15, move_m: 25, stale_s: 120 };
const BATCH = 200; // the server's limit per request
const database = () => openDatabase('sos-officer-positions', 1, { fixes: { keyPath: ['user', 'at'] } });

class Sharing {
  constructor() {
    this.listeners = new Set();
    this.session = null;
    this.value = { choice: null, chosen_in: null, state: 'off' };
    this.watch = null; // {id, precise}
    this.last = null; // the last fix queued
    this.candidate = null; // a fix that moved enough but came too soon after the last
    this.timer = null;
    this.beat = null; // the heartbeat's timer
    this.reading = null; // the watch's latest reading, while it reports no error
    this.acceptedAt = null; // when the server last took a fix from this watch (Date.now())
    this.sending = false;
    this.settings = DEFAULTS;
    this.unsubscribe = [];
  }

  key() {
    return `sos.officer.sharing.${this.session.user.id}`;
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  update(changes) {
    this.value = { ...this.value, ...changes };
    try {
      const { choice, chosen_in } = this.value;
      localStorage.setItem(this.key(), JSON.stringify({ choice, chosen_in }));
    } catch {
      // not remembered across a restart; asked again then
    }
    for (const fn of this.listeners) fn(this.value);
  }

  /** `resume`: the choice made before the server ended the last session holds (duty.js). */
  start(session, { onExpired, resume = false } = {}) {
    if (this.session?.token === session.token) return;
    this.session = session;
    this.onExpired = onExpired;
    let stored = null;
    try {
      stored = JSON.parse(localStorage.getItem(this.key()));
    } catch {
      // nothing usable stored
    }
    const chosen_in = resume && stored?.chosen_in ? this.sessionTag() : stored?.chosen_in ?? null;
    this.value = { choice: stored?.choice ?? null, chosen_in, state: 'off' };
    this.update({}); // the screens subscribed before this start: told at once
    getConfig().then((config) => {
      this.settings = { ...DEFAULTS, ...(config?.positions ?? {}) };
      if (this.watch) this.heartbeat(); // the threshold may be another than the default
    });
    this.unsubscribe = [availability.subscribe(() => this.apply()), officer.subscribe(() => this.apply())];
    this.apply();
    this.flush();
  }

  /** Signed out (or the session ended): stop watching and forget what was not sent. */
  async stop() {
    const user = this.session?.user.id;
    this.session = null;
    for (const fn of this.unsubscribe) fn();
    this.unsubscribe = [];
    this.apply();
    if (user != null) await this.drop(user).catch(() => {});
  }

  /** Signed out on purpose: the next sign-in asks again. */
  forget() {
    if (!this.session) return;
    try {
      localStorage.removeItem(this.key());
    } catch {
      // the session tag no longer matches anyway
    }
    this.value = { choice: null, chosen_in: null, state: 'off' };
  }

  choose(choice) {
    this.update({ choice, chosen_in: this.sessionTag() });
    this.apply();
  }

  asking(value = this.value) {
    return Boolean(this.session) && value.chosen_in !== this.sessionTag();
  }

  sessionTag() {
    return this.session ? this.session.token.slice(-12) : null;
  }

  /** Watch or not, precisely or not, from the choice, the availability and the incidents. */
  apply() {
    const wanted =
      Boolean(this.session) &&
      this.value.choice === 'yes' &&
      this.value.chosen_in === this.sessionTag() &&
      // On duty as the server knows it: a fix sent before the availability would be refused.
      ON_DUTY.includes(availability.value.status) &&
      !availability.value.pending &&
      Boolean(navigator.geolocation);
    const precise = wanted && officer.list().some((v) => v.assigned && WORKING.includes(v.stage ?? v.status));
    if (this.watch && (!wanted || this.watch.precise !== precise)) {
      navigator.geolocation.clearWatch(this.watch.id);
      this.watch = null;
      clearTimeout(this.timer);
      clearTimeout(this.beat);
      this.candidate = null;
      this.reading = null;
    }
    if (wanted && !this.watch) {
      if (!this.acceptedAt) this.last = null; // nothing taken yet: the first fix goes, moved or not
      const id = navigator.geolocation.watchPosition(
        (fix) => this.heard(fix),
        (error) => {
          // Not located now: no heartbeat until a new reading. (A TIMEOUT is only "no new
          // reading within 60 s", which standing still is.)
          if (error.code !== error.TIMEOUT) this.reading = null;
          if (error.code === error.PERMISSION_DENIED) this.setState('denied');
        },
        { enableHighAccuracy: precise, maximumAge: 10_000, timeout: 60_000 },
      );
      this.watch = { id, precise };
      this.heartbeat();
    }
    if (!wanted) this.acceptedAt = null;
    this.setState(
      this.watch ? (this.seen() ? 'on' : 'waiting') : this.value.state === 'denied' && wanted ? 'denied' : 'off',
    );
  }

  /** The server took a fix within the stale threshold: the command center sees this officer. */
  seen() {
    return this.acceptedAt !== null && Date.now() - this.acceptedAt < this.settings.stale_s * 1000;
  }

  period() {
    return Math.max(1, this.settings.stale_s / 2) * 1000;
  }

  /** Half the stale threshold after the last fix queued: the latest reading again, moved or not. */
  heartbeat() {
    clearTimeout(this.beat);
    this.beat = setTimeout(() => {
      if (!this.watch) return;
      this.apply(); // "sees you" ends once the last accepted fix is old
      if (this.reading) this.queue({ ...this.reading, at: Math.max(Date.now(), (this.last?.at ?? 0) + 1) });
      else this.heartbeat();
    }, this.period());
  }

  setState(state) {
    if (this.value.state !== state) this.update({ state });
  }

  heard(position) {
    const fix = {
      lat: position.coords.latitude,
      lon: position.coords.longitude,
      accuracy: Math.min(position.coords.accuracy ?? 0, 5000),
      at: Math.min(Math.round(position.timestamp || Date.now()), Date.now()),
    };
    this.reading = fix;
    if (this.last && distance(this.last, fix) < this.settings.move_m) return; // not moved: nothing
    const wait = this.last ? this.last.at + this.settings.interval_s * 1000 - fix.at : 0;
    if (wait > 0) {
      // Moved, but too soon: the newest such fix goes once the interval is over.
      this.candidate = fix;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        const due = this.candidate;
        this.candidate = null;
        if (due && this.watch) this.queue(due);
      }, wait);
      return;
    }
    this.queue(fix);
  }

  async queue(fix) {
    if (!this.session) return;
    this.last = fix;
    this.heartbeat(); // the next heartbeat is counted from this fix
    const user = String(this.session.user.id);
    await transact(database(), ['fixes'], 'readwrite', ({ fixes }) => fixes.put({ ...fix, user }));
    this.flush();
  }

  async flush() {
    if (!this.session || this.sending) return;
    this.sending = true;
    const { token, user } = this.session;
    try {
      const held = await this.held(String(user.id));
      if (!held.length) return;
      const batch = held.slice(0, BATCH);
      try {
        await request('/api/officers/me/position', {
          method: 'PUT',
          token,
          body: batch.map(({ lat, lon, accuracy, at }) => ({ lat, lon, accuracy, at })),
        });
        this.acceptedAt = Date.now();
        this.apply();
      } catch (error) {
        // No signal, the server away, or the session over: kept for later. Refused (off duty,
        // out of range): these fixes will never be taken, so they go.
        if (error.status === 401) this.onExpired?.();
        if (!error.status || error.status === 401 || error.status === 429 || error.status >= 500) return;
        this.last = null; // the next fix goes whatever the distance: the server has none of these
      }
      await transact(database(), ['fixes'], 'readwrite', ({ fixes }) => {
        for (const fix of batch) fixes.delete([fix.user, fix.at]);
      });
      if (held.length > batch.length) queueMicrotask(() => this.flush());
    } finally {
      this.sending = false;
    }
  }

  held(user) {
    return transact(database(), ['fixes'], 'readonly', ({ fixes }) =>
      new Promise((resolve, reject) => {
        const request = fixes.getAll(IDBKeyRange.bound([user, 0], [user, Infinity]));
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      }),
    );
  }

  drop(user) {
    return transact(database(), ['fixes'], 'readwrite', ({ fixes }) =>
      fixes.delete(IDBKeyRange.bound([String(user), 0], [String(user), Infinity])),
    );
  }
}

export const sharing = new Sharing();

export function useSharing() {
  const [value, setValue] = useState(sharing.value);
  useEffect(() => {
    setValue(sharing.value);
    return sharing.subscribe(setValue);
  }, []);
  return value;
}
