// The unit's incidents on this phone: the one source the officer's screens read.
//
//   inbox/<unit>     the server's list of the unit's open incidents (summaries), followed live
//   incident/<id>    every listed incident, and report/<id> the citizen's report, all kept in
//                    IndexedDB (y-indexeddb) and brought up to date in ONE batch request whenever
//                    the list changes, the app starts, or the network comes back
//   the outbox       the officer's progress: written into the incident document at once (the
//                    screen shows it), queued as bytes in IndexedDB, sent by the batch call
//                    `POST /sync` from the page or, with no page open, by the service worker
//
// Only the inbox and the incident on screen hold a WebSocket (QuietLiveDoc: reads only; the
// queue stays the one write path). Progress is a timeline entry in the officer's own name; the
// status is folded from the logs (state.js), so two officers writing at once converge.
import * as Y from 'yjs';
import { request } from '../core/api.js';
import { Observable } from '../core/observable.js';
import { acks, discard, enqueue, pending, release } from '../core/outbox.js';
import { kick, onOutboxChange, startOutbox } from '../core/outbox-runner.js';
import { clearPoliceCredential, storePoliceCredential } from '../core/police-credentials.js';
import { forgetDoc, openDoc } from '../core/sync/persisted-doc.js';
import { QuietLiveDoc } from '../core/sync/quiet-live.js';
import { entriesBy, entryId, progressRequest } from './outgoing.js';
import { pullDocs } from './pull.js';
import { incidentView } from './view.js';

export const incidentName = (id) => `incident/${id}`;
export const reportName = (id) => `report/${id}`;
const CACHED_KEY = 'sos.officer.cached'; // ids whose documents are in IndexedDB
const ID = /^[A-Za-z0-9_-]{1,64}$/;

function cachedIds() {
  try {
    return new Set(JSON.parse(localStorage.getItem(CACHED_KEY)) ?? []);
  } catch {
    return new Set();
  }
}

function saveCached(ids) {
  try {
    localStorage.setItem(CACHED_KEY, JSON.stringify([...ids]));
  } catch {
    // storage full or blocked: the documents are only cleaned up later
  }
}

let outboxStarted = false;

class OfficerModel extends Observable {
  constructor() {
    super();
    this.reset();
  }

  reset() {
    this.session = null;
    this.unit = null;
    this.inbox = null;
    this.docs = new Map(); // id -> {incident, report}
    this.queue = new Map(); // doc name -> outbox entry
    this.acked = new Map(); // doc name -> acknowledgement
    this.live = new Map(); // doc name -> QuietLiveDoc
    this.pulled = new Map(); // id -> summary (JSON) at the last pull
    this.refused = new Map(); // id -> HTTP status: this phone may not read it (any more)
    this.focus = null;
    this.inboxSynced = false; // the server's list reached this phone since this start
    this.ready = null;
    this.pulling = null;
    this.nextPull = null;
    this.timer = null;
    this.cleanups = [];
    this.startedAt = 0;
    this.displayName = null; // the name entries are signed with (setDisplayName)
  }

  get user() {
    return this.session?.user ?? null;
  }

  /** The officer's name as the server has it (GET /api/officers), remembered for offline starts. */
  setDisplayName(name) {
    this.displayName = name || null;
    try {
      localStorage.setItem(`sos.officer.name.${this.user.id}`, this.displayName ?? '');
    } catch {
      // not remembered: entries made offline after a restart carry the username
    }
  }

  // -- lifecycle ---------------------------------------------------------------------------------
  /** Start for `session`; `onExpired()` when the server says the session is over (401). */
  start(session, onExpired) {
    this.onExpired = onExpired;
    if (this.session?.token === session.token) return this.ready;
    this.stop();
    this.session = session;
    this.unit = session.user.unit ?? null;
    this.startedAt = Date.now();
    try {
      this.displayName = localStorage.getItem(`sos.officer.name.${session.user.id}`) || null;
    } catch {
      // storage blocked: the username is used
    }
    const on = (target, event, fn) => {
      target.addEventListener(event, fn);
      this.cleanups.push(() => target.removeEventListener(event, fn));
    };
    this.cleanups.push(onOutboxChange(() => this.refreshQueue()));
    on(document, 'visibilitychange', () => document.visibilityState === 'visible' && this.pull());
    this.ready = (async () => {
      await storePoliceCredential(session);
      if (!outboxStarted) {
        outboxStarted = true;
        startOutbox();
      } else {
        await release(); // signed in again: what waited for this officer goes now
        kick();
      }
      if (!this.unit) return;
      this.inbox = await openDoc(`inbox/${this.unit}`);
      const onInbox = () => this.inboxChanged();
      this.inbox.on('update', onInbox);
      this.cleanups.push(() => this.inbox?.off('update', onInbox));
      await this.openAll();
      await this.refreshQueue();
      await this.repair();
      this.follow();
      this.changed();
      this.pull();
    })();
    return this.ready;
  }

  stop() {
    for (const fn of this.cleanups.splice(0)) fn();
    for (const live of this.live.values()) live.close();
    clearTimeout(this.timer);
    const { listeners, version } = this;
    this.reset();
    this.listeners = listeners;
    this.version = version;
  }

  /** Signing out on purpose: forget this unit's documents, keeping those with unsent progress. */
  async signOut() {
    const keep = new Set(
      [...this.queue.keys()].filter((n) => n.startsWith('incident/')).map((n) => n.slice(9)),
    );
    const unit = this.unit;
    this.stop();
    await clearPoliceCredential().catch(() => {});
    const cached = cachedIds();
    for (const id of cached) {
      if (keep.has(id)) continue;
      await Promise.all([forgetDoc(incidentName(id)), forgetDoc(reportName(id))]).catch(() => {});
      cached.delete(id);
    }
    saveCached(cached);
    if (unit) await forgetDoc(`inbox/${unit}`).catch(() => {});
  }

  expired() {
    const fn = this.onExpired;
    this.stop();
    fn?.();
  }

  // -- documents ---------------------------------------------------------------------------------
  summaries() {
    return this.inbox?.getMap('incidents').toJSON() ?? {};
  }

  async open(id) {
    if (this.docs.has(id) || !ID.test(id)) return;
    const cached = cachedIds();
    if (!cached.has(id)) {
      cached.add(id);
      saveCached(cached);
    }
    const placeholder = { incident: null, report: null };
    this.docs.set(id, placeholder);
    const [incident, report] = await Promise.all([openDoc(incidentName(id)), openDoc(reportName(id))]);
    if (this.docs.get(id) !== placeholder) return; // stopped meanwhile
    this.docs.set(id, { incident, report });
    const update = () => this.changed();
    incident.on('update', update);
    report.on('update', update);
    this.cleanups.push(() => {
      incident.off('update', update);
      report.off('update', update);
    });
  }

  async openAll() {
    await Promise.all(Object.keys(this.summaries()).map((id) => this.open(id)));
  }

  inboxChanged() {
    clearTimeout(this.timer);
    // A burst of inbox writes (a dispatch touches several fields) becomes one pull.
    this.timer = setTimeout(async () => {
      await this.openAll();
      const summaries = this.summaries();
      const changed = Object.keys(summaries).filter(
        (id) => this.pulled.get(id) !== JSON.stringify(summaries[id]),
      );
      this.changed();
      if (changed.length) this.pull(changed);
      this.cleanup();
    }, 150);
  }

  /** Bring `ids` (default: every listed incident) up to date: one batch request. */
  pull(ids = null) {
    if (!this.session || !this.unit) return Promise.resolve();
    if (this.pulling) {
      // One request at a time; what is asked for meanwhile goes in the next one.
      this.nextPull = ids === null || this.nextPull === 'all' ? 'all' : [...(this.nextPull ?? []), ...ids];
      return this.pulling;
    }
    const everything = [...Object.keys(this.summaries()), ...(this.focus ? [this.focus] : [])];
    const wanted = [...new Set(ids ?? everything)];
    if (!wanted.length) return Promise.resolve();
    this.pulling = this.pullNow(wanted).finally(() => {
      this.pulling = null;
      const next = this.nextPull;
      this.nextPull = null;
      if (next === 'all') this.pull();
      else if (next?.length) this.pull(next);
    });
    return this.pulling;
  }

  async pullNow(ids) {
    await Promise.all(ids.map((id) => this.open(id)));
    if (!this.session) return; // signed out meanwhile
    const docs = new Map();
    for (const id of ids) {
      const pair = this.docs.get(id);
      if (!pair?.incident) continue;
      docs.set(incidentName(id), pair.incident);
      docs.set(reportName(id), pair.report);
    }
    const summaries = this.summaries();
    try {
      const results = await pullDocs(docs, this.session.token);
      if (results.some((r) => r.status === 401)) {
        this.expired();
        return;
      }
      for (const { name, status } of results) {
        const id = name.slice(name.indexOf('/') + 1);
        if (status === 200) {
          if (name.startsWith('incident/')) this.refused.delete(id);
        } else if (status === 403 || status === 404) {
          if (name.startsWith('incident/')) this.refused.set(id, status);
        }
      }
      for (const id of ids) this.pulled.set(id, JSON.stringify(summaries[id]));
    } catch (error) {
      if (error.status === 401) {
        this.expired();
        return;
      }
      // No answer: the next reconnection (duty.js), return to the app or change of the list
      // pulls again.
    }
    this.changed();
  }

  /** Follow live: the inbox always, and the incident on screen with its report. */
  follow() {
    const wanted = new Map();
    if (this.inbox) wanted.set(`inbox/${this.unit}`, this.inbox);
    const focused = this.focus && this.docs.get(this.focus);
    if (focused?.incident && !this.refused.has(this.focus)) {
      wanted.set(incidentName(this.focus), focused.incident);
      wanted.set(reportName(this.focus), focused.report);
    }
    for (const [name, live] of this.live) {
      if (wanted.has(name)) continue;
      live.close();
      this.live.delete(name);
    }
    for (const [name, doc] of wanted) {
      if (this.live.has(name)) continue;
      const live = new QuietLiveDoc(name, doc, {
        getToken: async () => this.session?.token ?? null,
        onState: (state) => {
          // Refused: the session may have ended (a refusal of the incident itself is the pull's).
          if (state === 'denied') this.checkSession();
          if (state === 'synced' && name.startsWith('inbox/') && !this.inboxSynced) {
            this.inboxSynced = true;
            this.changed();
          }
        },
      });
      this.live.set(name, live);
    }
  }

  async setFocus(id) {
    this.focus = id;
    if (id) {
      await this.open(id);
      if (!(id in this.summaries())) this.pull([id]); // a link to an incident not in the list
    }
    this.follow();
    this.changed();
  }

  async checkSession() {
    if (!this.session) return;
    try {
      await request('/api/auth/me', { token: this.session.token });
    } catch (error) {
      if (error.status === 401) this.expired();
    }
  }

  /** Forget documents of incidents that left the list, unless on screen or still to be sent. */
  async cleanup() {
    const keep = new Set(Object.keys(this.summaries()));
    if (this.focus) keep.add(this.focus);
    for (const name of this.queue.keys()) if (name.startsWith('incident/')) keep.add(name.slice(9));
    const cached = cachedIds();
    let dropped = false;
    for (const id of cached) {
      if (keep.has(id)) continue;
      this.docs.delete(id);
      cached.delete(id);
      dropped = true;
      await Promise.all([forgetDoc(incidentName(id)), forgetDoc(reportName(id))]).catch(() => {});
    }
    if (dropped) saveCached(cached);
  }

  // -- the offline queue -------------------------------------------------------------------------
  async refreshQueue() {
    const [entries, done] = await Promise.all([pending(), acks()]);
    this.queue = new Map(entries.filter((e) => e.auth === 'user').map((e) => [e.name, e]));
    this.acked = new Map(done.map((a) => [a.name, a]));
    // The session ended while waiting: the queue learnt it first (401 since this start).
    const refused = entries.some((e) => e.error?.status === 401 && e.error.at > this.startedAt);
    this.changed();
    if (refused && this.session) this.checkSession();
  }

  myEntries(doc) {
    return entriesBy(doc, String(this.user.id));
  }

  queueIncident(id) {
    const { incident } = this.docs.get(id);
    const user = String(this.user.id);
    const meta = { user, entries: this.myEntries(incident) };
    return enqueue(incidentName(id), progressRequest(incident, user), meta, 'user');
  }

  /** At start: progress saved in a document but neither queued nor acknowledged (the tab was
   * closed between the two) is queued again. */
  async repair() {
    let queued = false;
    for (const [id, { incident }] of this.docs) {
      if (!incident) continue;
      const name = incidentName(id);
      const covered = new Set([
        ...(this.acked.get(name)?.meta?.entries ?? []),
        ...(this.queue.get(name)?.meta?.entries ?? []),
      ]);
      if (this.myEntries(incident).every((e) => covered.has(e))) continue;
      await this.queueIncident(id);
      queued = true;
    }
    if (queued) {
      await this.refreshQueue();
      kick();
    }
  }

  pendingIds(id) {
    const name = incidentName(id);
    const entry = this.queue.get(name);
    if (!entry) return new Set();
    const sent = new Set(this.acked.get(name)?.meta?.entries ?? []);
    return new Set((entry.meta?.entries ?? []).filter((e) => !sent.has(e)));
  }

  pendingTotal() {
    let total = 0;
    for (const name of this.queue.keys()) total += this.pendingIds(name.slice(9)).size;
    return total;
  }

  heldCount() {
    return [...this.queue.values()].filter((e) => e.held).length;
  }

  /**
   * Drop what the server refused for an incident (the unit was withdrawn meanwhile, ...): the
   * queued change and the local copy, which is then fetched again as the server has it.
   */
  async discardRefused(id) {
    for (const name of [incidentName(id), reportName(id)]) {
      this.live.get(name)?.close();
      this.live.delete(name);
    }
    await discard(incidentName(id));
    this.docs.delete(id);
    await Promise.all([forgetDoc(incidentName(id)), forgetDoc(reportName(id))]);
    await this.open(id);
    await this.refreshQueue();
    this.follow();
    await this.pull([id]);
  }

  async retry(id = null) {
    await release(id ? [incidentName(id)] : null);
    await this.refreshQueue();
    kick();
  }

  // -- progress ----------------------------------------------------------------------------------
  /**
   * Append a timeline entry in the officer's own name and queue it: kept on the phone before
   * this resolves, sent at once when there is a network.
   */
  async record(id, type, { note = '', media = [], position = null } = {}) {
    const pair = this.docs.get(id);
    const timeline = pair?.incident?.getMap('incident').get('timeline');
    if (!(timeline instanceof Y.Array)) throw new Error(`incident ${id} is not on this phone yet`);
    const user = this.user;
    const entry = {
      id: entryId(),
      type,
      unit: this.unit,
      by: String(user.id),
      by_name: this.displayName || user.username,
      at: Date.now(),
    };
    if (note.trim()) entry.note = note.trim();
    if (media.length) entry.media = media;
    if (position) {
      entry.lat = position.lat;
      entry.lon = position.lon;
    }
    timeline.push([entry]);
    // Ask the browser not to evict this origin's storage: unsent progress lives only here.
    navigator.storage?.persist?.().catch(() => {});
    await this.queueIncident(id);
    await this.refreshQueue();
    kick();
    return entry;
  }

  // -- what the screens show ---------------------------------------------------------------------
  view(id) {
    return incidentView(this, id);
  }

  /** The listed incidents, most urgent first: priority (P1 first), then the oldest. */
  list() {
    return Object.keys(this.summaries())
      .map((id) => this.view(id))
      .filter(Boolean)
      .sort((a, b) => a.priority - b.priority || a.arrived_at - b.arrived_at);
  }
}

export const officer = new OfficerModel();
