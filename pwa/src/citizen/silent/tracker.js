// Issue 29: the live location of a silent report, with the person's consent. Each fix is
// appended to the report document's `track` ({lat, lon, accuracy, at}) and queued like any
// change of the report: offline, the fixes wait in the document and go in one request, in order,
// when the network is back. Every 10 s or 10 m while moving, every 30 s when still. It stops when
// the person says so, when the police finish the incident (the reply says so), or when the server
// refuses a fix (`incident_finished`): the refused fixes are then dropped from the phone.
import * as Y from 'yjs';
import { Observable } from '../../core/observable.js';
import { kick } from '../../core/outbox-runner.js';
import { queueReport, reports } from '../reports/model.js';
import { updateReport } from '../store.js';

const MOVED_M = 10;
const MOVING_MS = 10_000;
const STILL_MS = 30_000;
const MIN_GAP_MS = 1_000; // a burst of GPS callbacks is one fix
const FINISHED = new Set(['done', 'not_handled']);

function metres(a, b) {
  const rad = Math.PI / 180;
  const x = (b.lon - a.lon) * rad * Math.cos(((a.lat + b.lat) / 2) * rad);
  const y = (b.lat - a.lat) * rad;
  return Math.hypot(x, y) * 6_371_000;
}

class Tracker extends Observable {
  constructor() {
    super();
    this.id = null; // the report shared now, or null
    this.stopped = null; // {id, why} of the last sharing stopped, why: 'person' | 'finished'
    this.watch = null;
    this.timer = null;
    this.soon = null;
    this.latest = null; // the newest position seen, appended or not
    this.last = null; // the last fix appended
    this.dropping = new Set(); // reports whose refused fixes are being dropped
  }

  /** Once per page (services.js): watch my reports for the end of an incident or a refused fix. */
  init() {
    reports.subscribe(() => this.check());
    // Sharing survives a closed app: the report's record says it was on (and not stopped).
    reports.ready?.then(() => {
      const on = [...reports.records.values()].filter((r) => r.sharing).sort((a, b) => b.created_at - a.created_at);
      if (on.length && !this.id) this.start(on[0].id);
    });
  }

  get active() {
    return this.id !== null;
  }

  start(id) {
    if (this.id === id) return;
    this.stop(null);
    this.id = id;
    this.stopped = null;
    this.last = null;
    updateReport(id, { sharing: true }).catch(() => {});
    const record = reports.records.get(id);
    if (record) reports.records.set(id, { ...record, sharing: true });
    this.watch = navigator.geolocation?.watchPosition(
      ({ coords }) => this.seen({ lat: coords.latitude, lon: coords.longitude, accuracy: coords.accuracy }),
      () => {}, // no fix for now: the indicator stays, the next one comes when it comes
      { enableHighAccuracy: true, maximumAge: 5_000 },
    );
    // Still: the GPS may say nothing new, the police still want to know the person is there.
    this.timer = setInterval(() => this.latest && this.seen(this.latest), STILL_MS);
    this.changed();
  }

  seen(position) {
    this.latest = position;
    const now = Date.now();
    const last = this.last;
    const gap = last ? now - last.at : Infinity;
    const moved = last ? metres(last, position) : Infinity;
    clearTimeout(this.soon);
    if (gap >= STILL_MS || (moved >= MOVED_M && gap >= MIN_GAP_MS) || (moved >= 2 && gap >= MOVING_MS)) {
      this.append({ ...position, at: now });
    } else if (moved >= 2) {
      // Moved, but too soon after the last fix: look again when it is due, even if the GPS is quiet.
      const wait = (moved >= MOVED_M ? MIN_GAP_MS : MOVING_MS) - gap;
      this.soon = setTimeout(() => this.id && this.seen(this.latest), wait);
    }
  }

  async append(position) {
    const doc = reports.docs.get(this.id)?.report;
    const track = doc?.getMap('report').get('track');
    if (!(track instanceof Y.Array)) return;
    const fix = {
      lat: position.lat,
      lon: position.lon,
      accuracy: Math.min(5000, Math.round(position.accuracy ?? 0)),
      at: position.at,
    };
    this.last = fix;
    track.push([fix]);
    await queueReport(this.id, doc);
    await reports.refreshQueue();
    kick();
  }

  /**
   * The police finished, or the server refused a fix: stop, and forget the refused fixes (of any
   * report: the phone may have learnt of the end before its last fixes were refused).
   */
  check() {
    for (const [name, entry] of reports.queue) {
      const id = name.slice('report/'.length);
      if (entry.error?.refusal !== 'incident_finished' || this.dropping.has(id)) continue;
      if (this.id === id) this.stop('finished');
      this.dropping.add(id);
      reports
        .dropChange(id)
        .catch(() => {}) // offline: dropped at the next look
        .finally(() => this.dropping.delete(id));
    }
    const view = this.id && reports.view(this.id);
    if (view && (FINISHED.has(view.status) || view.merged)) this.stop('finished');
  }

  stop(why = 'person') {
    if (this.watch != null) navigator.geolocation.clearWatch(this.watch);
    clearInterval(this.timer);
    clearTimeout(this.soon);
    this.watch = this.timer = this.soon = null;
    const was = this.id;
    this.id = null;
    this.latest = null;
    if (was) {
      updateReport(was, { sharing: false }).catch(() => {});
      const record = reports.records.get(was);
      if (record) reports.records.set(was, { ...record, sharing: false });
      this.stopped = why ? { id: was, why } : null;
      this.changed();
    }
  }
}

export const tracker = new Tracker();
