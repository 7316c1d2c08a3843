// My reports: the one source the screens read. Each report joins four things kept on the phone:
// its record (store.js), its `report/<id>` Yjs document, its `reply/<id>` document from the
// police (both in y-indexeddb), and its place in the offline queue (outbox: saved, sent, or
// refused and why). Reply documents are followed live over WebSocket while the app is open.
import * as Y from 'yjs';
import { storedDevice } from '../../core/device.js';
import { Observable } from '../../core/observable.js';
import { acks, discard, enqueue, pending, release } from '../../core/outbox.js';
import { kick, onOutboxChange } from '../../core/outbox-runner.js';
import { LiveDoc } from '../../core/sync/live.js';
import { HttpError, httpError } from '../../core/http-error.js';
import { applyAnswer, syncRead, syncRequest } from '../../core/sync/messages.js';
import { forgetDoc, openDoc, persistNew } from '../../core/sync/persisted-doc.js';
import { adopt, DRAFT, listMedia, mediaIdsOf, remove, setUploaded, upload, UploadRefused, UploadUnavailable } from '../media.js';
import { onStatusChange } from '../status-hook.js';
import { allReports, deleteReport, putReport, updateReport } from '../store.js';

// Statuses after which little more is expected: such reports are not followed live (unless open).
const FINAL = new Set(['done', 'not_handled']);
const LIVE_MAX = 8; // WebSockets held open at most: the newest reports, plus the one on screen
const LIVE_RECENT_MS = 7 * 86_400_000;

export const reportName = (id) => `report/${id}`;
export const replyName = (id) => `reply/${id}`;

function newId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** An id for a log entry (`[A-Za-z0-9_-]{6,64}`). */
export function entryId() {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_');
}

/** What has to be queued for a report document: its bytes and what they cover. */
export function queueReport(id, doc) {
  const report = doc.getMap('report');
  const messages = report.get('messages')?.toArray().map((m) => m.id) ?? [];
  const media = report.get('media')?.toArray() ?? [];
  const meta = { messages, media, contact: report.has('contact') };
  return enqueue(reportName(id), syncRequest(doc), meta);
}

class ReportsModel extends Observable {
  constructor() {
    super();
    this.records = new Map(); // id -> record
    this.docs = new Map(); // id -> {report: Y.Doc, reply: Y.Doc}
    this.queue = new Map(); // doc name -> outbox entry
    this.acked = new Map(); // doc name -> ack
    this.media = new Map(); // id -> media views
    this.live = new Map(); // id -> LiveDoc
    this.liveState = new Map(); // id -> 'connecting' | 'synced' | 'offline' | 'denied'
    this.progress = new Map(); // media localId -> fraction uploaded, while uploading
    this.uploading = false;
    this.again = false;
    this.focus = null; // the report on screen, followed live whatever its age
    this.ready = null;
    this.opening = new Map(); // id -> Promise, while a report's documents open
  }

  start() {
    if (this.ready) return this.ready;
    onOutboxChange(async (message) => {
      // A report made or withdrawn in another tab of this app: the queue says so (BroadcastChannel).
      const id = message?.name?.startsWith('report/') ? message.name.slice('report/'.length) : null;
      if (id && (message.type === 'discarded') === this.records.has(id)) await this.reload();
      await this.refreshQueue(); // the acknowledgement first: uploads need the report on the server
      if (message?.type === 'sent') this.uploadWaiting();
    });
    // Where BroadcastChannel is missing or a message was missed (a tab asleep): look on return.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.reload().then(() => this.refreshQueue());
    });
    addEventListener('online', () => {
      this.follow();
      this.uploadWaiting();
    });
    this.ready = (async () => {
      for (const record of await allReports()) await this.track(record);
      await this.refreshQueue();
      await this.repair();
      this.follow();
      this.uploadWaiting();
    })();
    return this.ready;
  }

  /**
   * Start showing a report. Its record is listed only once its documents are open: while they
   * open, a reply's update or the queue's change of another report runs `follow()` and the
   * screens, which read every listed record's documents.
   */
  async track(record) {
    if (!this.docs.has(record.id)) {
      // Once per report, even when this tab's own send and another tab's news ask at once.
      let opening = this.opening.get(record.id);
      if (!opening) {
        opening = Promise.all([openDoc(reportName(record.id)), openDoc(replyName(record.id))]).then(([report, reply]) => {
          this.docs.set(record.id, { report, reply });
          report.on('update', () => this.changed());
          reply.on('update', () => {
            this.checkStatus(record.id);
            this.changed();
          });
        });
        this.opening.set(record.id, opening);
      }
      await opening;
      this.opening.delete(record.id);
    }
    this.records.set(record.id, record);
    this.media.set(record.id, await listMedia(record.id));
    this.checkStatus(record.id);
  }

  /** Follow the list kept on this phone: reports made, or withdrawn, by another tab. */
  async reload() {
    await this.ready;
    const stored = await allReports();
    const ids = new Set(stored.map((r) => r.id));
    let changed = false;
    for (const record of stored) {
      if (this.records.has(record.id)) continue;
      await this.track(record);
      changed = true;
    }
    for (const id of [...this.records.keys()]) {
      if (ids.has(id) || this.opening.has(id)) continue;
      this.records.delete(id);
      this.docs.delete(id);
      this.live.get(id)?.close();
      this.live.delete(id);
      changed = true;
    }
    if (changed) this.follow();
  }

  async refreshQueue() {
    const [entries, done] = await Promise.all([pending(), acks()]);
    this.queue = new Map(entries.map((e) => [e.name, e]));
    this.acked = new Map(done.map((a) => [a.name, a]));
    this.follow();
    this.changed();
  }

  /**
   * On every start: a report whose current state is neither acknowledged nor queued (the tab
   * was closed between saving the document and queueing it) is queued again.
   */
  async repair() {
    let queued = false;
    for (const id of this.records.keys()) {
      const name = reportName(id);
      if (this.queue.has(name)) continue;
      const { report: doc } = this.docs.get(id);
      const report = doc.getMap('report');
      if (!report.has('category')) continue; // nothing kept to send
      const ack = this.acked.get(name);
      const ids = report.get('messages')?.toArray().map((m) => m.id) ?? [];
      const covered = new Set(ack?.meta?.messages ?? []);
      const media = report.get('media')?.toArray() ?? [];
      const mediaCovered = new Set(ack?.meta?.media ?? []);
      const contactCovered = !report.has('contact') || ack?.meta?.contact;
      const all = ids.every((m) => covered.has(m)) && media.every((m) => mediaCovered.has(m));
      if (ack && contactCovered && all) continue;
      await queueReport(id, doc);
      queued = true;
    }
    if (queued) await this.refreshQueue();
  }

  // -- the screens' view of one report -----------------------------------------------------------
  view(id) {
    const record = this.records.get(id);
    const docs = this.docs.get(id);
    if (!record || !docs) return null;
    const report = docs.report.getMap('report').toJSON();
    const reply = docs.reply.getMap('reply').toJSON();
    const name = reportName(id);
    const entry = this.queue.get(name) ?? null;
    const ack = this.acked.get(name) ?? null;
    const ackedMessages = new Set(ack?.meta?.messages ?? []);
    // Acknowledged means it reached the server: "delivered" even before the reply document says so.
    const status = reply.status ?? (ack ? 'delivered' : 'saved');
    const thread = [
      ...(report.messages ?? []).map((m) => ({ ...m, from: 'me', pending: !ackedMessages.has(m.id) })),
      ...(reply.messages ?? []).map((m) => ({ ...m, from: 'police' })),
    ].sort((a, b) => a.at - b.at);
    return {
      id,
      category: report.category ?? record.category,
      created_at: report.created_at ?? record.created_at,
      description: report.description ?? '',
      silent: report.silent === true,
      location: typeof report.lat === 'number' ? { lat: report.lat, lon: report.lon, accuracy: report.accuracy } : null,
      contact: report.contact ?? null,
      media: this.media.get(id) ?? [],
      progress: Object.fromEntries([...this.progress].filter(([localId]) => (this.media.get(id) ?? []).some((m) => m.localId === localId))),
      status,
      stage: reply.stage ?? null,
      reason: reply.reason ?? null,
      merged: Boolean(reply.merged_into),
      updated_at: reply.updated_at ?? null,
      sent_at: ack?.first_at ?? null,
      queued: entry,
      failure: entry?.error ?? null,
      held: Boolean(entry?.held),
      thread,
      // Police messages this phone has not shown yet (announced at the top of the report).
      unread: (reply.messages ?? []).filter((m) => m.at > (record.seen_police_at ?? 0)).map((m) => m.id),
      live: this.liveState.get(id) ?? null,
    };
  }

  list() {
    return [...this.records.keys()]
      .map((id) => this.view(id))
      .filter(Boolean)
      .sort((a, b) => b.created_at - a.created_at);
  }

  checkStatus(id) {
    const status = this.docs.get(id)?.reply.getMap('reply').get('status');
    const record = this.records.get(id);
    if (!status || !record || record.seen_status === status) return;
    const previous = record.seen_status ?? null;
    const next = { ...record, seen_status: status };
    this.records.set(id, next);
    updateReport(id, { seen_status: status });
    onStatusChange(this.view(id), status, previous);
  }

  // -- photos and videos -------------------------------------------------------------------------
  /**
   * Upload the waiting files of reports the server has (a media id must name a report it
   * knows), and add each finished upload's id to `report.media`, sent like any change. A file
   * the server refuses (too large, not a photo or video) is marked and skipped; the loop stops at
   * the first "try later" (offline, busy); the next start, `online` or sent report retries.
   */
  async uploadWaiting() {
    if (this.uploading) {
      this.again = true; // asked while busy (a report just sent): go round once more after
      return;
    }
    this.uploading = true;
    this.again = false;
    try {
      for (const [id, items] of this.media) {
        if (!this.acked.has(reportName(id))) continue;
        for (const item of items) {
          if (item.state !== 'waiting') continue;
          let mediaId;
          try {
            mediaId = await upload(id, item, (fraction) => {
              this.progress.set(item.localId, fraction);
              this.changed();
            });
          } catch (error) {
            if (error instanceof UploadRefused) {
              // Never sent: the file shows the server's reason; the other files go on.
              this.media.set(id, await listMedia(id));
              continue;
            }
            if (!(error instanceof UploadUnavailable)) console.warn('upload failed', error);
            return;
          } finally {
            this.progress.delete(item.localId);
            this.changed();
          }
          await setUploaded(item.localId, mediaId);
          const { report: doc } = this.docs.get(id);
          const media = doc.getMap('report').get('media');
          if (!media.toArray().includes(mediaId)) media.push([mediaId]);
          await queueReport(id, doc);
          this.media.set(id, await listMedia(id));
          kick();
        }
      }
    } finally {
      this.uploading = false;
      if (this.again) queueMicrotask(() => this.uploadWaiting());
    }
  }

  // -- live replies ------------------------------------------------------------------------------
  /** Follow the replies that can still change, newest first, plus the report on screen. */
  follow() {
    const now = Date.now();
    const wanted = new Set(
      [...this.records.values()]
        .filter((r) => this.docs.has(r.id))
        .filter((r) => this.acked.has(reportName(r.id)) || this.docs.get(r.id)?.reply.getMap('reply').has('status'))
        .filter((r) => r.id === this.focus || (now - r.created_at < LIVE_RECENT_MS && !FINAL.has(r.seen_status)))
        .sort((a, b) => (a.id === this.focus ? -1 : b.id === this.focus ? 1 : b.created_at - a.created_at))
        .slice(0, LIVE_MAX)
        .map((r) => r.id),
    );
    for (const [id, live] of this.live) {
      if (!wanted.has(id)) {
        live.close();
        this.live.delete(id);
        this.liveState.delete(id);
      }
    }
    for (const id of wanted) {
      const live = this.live.get(id);
      if (live) {
        if (live.denied) live.resume();
        continue;
      }
      this.live.set(
        id,
        new LiveDoc(replyName(id), this.docs.get(id).reply, {
          getToken: () => storedDevice().then((d) => d?.token ?? null),
          onState: (state) => {
            this.liveState.set(id, state);
            this.changed();
          },
        }),
      );
    }
  }

  setFocus(id) {
    this.focus = id;
    this.follow();
  }

  // -- changes the citizen makes -----------------------------------------------------------------
  /**
   * Make a report: the document is saved on the phone and queued before this resolves, so
   * nothing typed is lost whatever happens next; sending starts at once if there is a network.
   */
  async create({ category, description, danger = false, silent = false, location, contact, mediaIds = [], warning }) {
    const id = newId();
    const created_at = Date.now();
    const doc = new Y.Doc();
    doc.transact(() => {
      const report = doc.getMap('report');
      report.set('category', category);
      report.set('description', description);
      if (danger) report.set('danger', true); // absent otherwise: the server's rule is P1 if true
      if (silent) report.set('silent', true); // issue 29: P1, no call-back; `track` for live location
      if (silent) report.set('track', new Y.Array());
      if (location) {
        report.set('lat', location.lat);
        report.set('lon', location.lon);
        if (typeof location.accuracy === 'number') report.set('accuracy', Math.round(location.accuracy));
      }
      report.set('created_at', created_at);
      report.set('media', new Y.Array());
      report.set('messages', new Y.Array());
      if (contact) report.set('contact', contact);
      if (warning) report.set('warning', warning); // "Cần giúp đỡ" on a public warning
    });
    await persistNew(reportName(id), doc);
    // Ask the browser not to evict this origin's storage under pressure: a report waiting for a
    // network lives only here. Granted silently to installed apps; a refusal changes nothing.
    navigator.storage?.persist?.().catch(() => {});
    const record = { id, category, created_at, seen_status: null };
    await putReport(record);
    await adopt(id, mediaIds);
    await queueReport(id, doc);
    await this.track(record);
    await this.refreshQueue();
    kick();
    return id;
  }

  /** The police's messages so far have been shown: no more notice for them. */
  async markRead(id) {
    const record = this.records.get(id);
    const messages = this.docs.get(id)?.reply.getMap('reply').get('messages')?.toArray() ?? [];
    if (!record || !messages.length) return;
    const seen = Math.max(...messages.map((m) => m.at ?? 0));
    if ((record.seen_police_at ?? 0) >= seen) return;
    this.records.set(id, { ...record, seen_police_at: seen });
    this.changed();
    await updateReport(id, { seen_police_at: seen });
  }

  /** Add a detail to a report (`report.messages`): sent like the report, queued if offline. */
  async addMessage(id, text) {
    const { report: doc } = this.docs.get(id);
    const messages = doc.getMap('report').get('messages');
    if (!(messages instanceof Y.Array)) throw new Error(`report ${id} is not on this phone`);
    messages.push([{ id: entryId(), text, at: Date.now() }]);
    await queueReport(id, doc);
    await this.refreshQueue();
    kick();
  }

  /** Give a report the contact for call-backs (allowed after sending: it is not frozen). */
  async setContact(id, contact) {
    const { report: doc } = this.docs.get(id);
    doc.getMap('report').set('contact', contact);
    await queueReport(id, doc);
    await this.refreshQueue();
    kick();
  }

  /**
   * A report the server refused for good and never took: back into the draft to fix (its text,
   * category, "someone is hurt", place and files kept), or (`keep` false) dropped with its files.
   * Either way it leaves this phone's list and queue: the fixed report goes as a new one.
   */
  async withdraw(id, { keep }) {
    const name = reportName(id);
    if (this.acked.has(name)) throw new Error(`report ${id} reached the server: it cannot be withdrawn`);
    const report = this.docs.get(id)?.report.getMap('report').toJSON() ?? {};
    const files = await mediaIdsOf(id);
    if (keep) {
      await adopt(DRAFT, files);
    } else {
      for (const file of files) await remove(file);
    }
    this.live.get(id)?.close();
    this.live.delete(id);
    this.records.delete(id);
    this.docs.delete(id);
    this.media.delete(id);
    await deleteReport(id); // before the queue tells other tabs, which then reload the list
    await discard(name);
    await Promise.all([forgetDoc(name), forgetDoc(replyName(id))]);
    await this.refreshQueue();
    if (!keep) return null;
    return {
      category: report.category ?? null,
      description: report.description ?? '',
      danger: report.danger === true,
      location: typeof report.lat === 'number' ? { lat: report.lat, lon: report.lon, accuracy: report.accuracy } : null,
    };
  }

  /**
   * A later change (a message, the contact) the server refused for good: dropped, and the
   * report on this phone becomes the server's copy again, so the change is not queued anew at the
   * next start. Needs the network (the server's copy); throws an HttpError without it.
   */
  async dropChange(id) {
    const name = reportName(id);
    const fresh = new Y.Doc();
    const device = await storedDevice();
    let response;
    try {
      response = await fetch(`/sync/${name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', Authorization: `Bearer ${device?.token}` },
        body: syncRead(fresh),
        credentials: 'omit',
      });
    } catch {
      throw new HttpError(0, 'network', null);
    }
    if (!response.ok) throw await httpError(response);
    applyAnswer(fresh, new Uint8Array(await response.arrayBuffer()));
    await discard(name);
    const { reply } = this.docs.get(id);
    await forgetDoc(name);
    await persistNew(name, fresh);
    this.docs.set(id, { report: fresh, reply });
    fresh.on('update', () => this.changed());
    await this.refreshQueue();
  }

  /** Try a refused report again (the user asked to). */
  async retry(id) {
    await release([reportName(id)]);
    await this.refreshQueue();
    kick();
  }
}

export const reports = new ReportsModel();
