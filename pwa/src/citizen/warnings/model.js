// The warnings the citizen app knows: the list in force (kept on the phone, shown offline), this
// phone's answers (queued while offline), and where it follows warnings (the current ward,
// worked out on the phone, kept apart from the wards the citizen chose). The screens read it;
// it refreshes on start, on `online`, when the app comes back to the front and when the service
// worker says a warning push arrived (sw/push.js).
import { onWorkerMessage } from '../../core/sw-bridge.js';
import { Observable } from '../../core/observable.js';
import { asDevice, revalidate } from './net.js';
import { allAnswers, getKey, putAnswer, putKey } from './store.js';
import { wardAt } from './wards.js';

export const MAX_AREAS = 10; // the server's SOS_WARNING_MAX_AREAS
const LOCATE_EVERY_MS = 10 * 60_000; // a new look at where the phone is, at most this often
const NO_AREAS = { here: false, current: null, chosen: [], exercises: false, synced: true };

class WarningsModel extends Observable {
  constructor() {
    super();
    this.list = null; // {warnings, etag, at, exercise} or null before the first answer
    this.others = new Map(); // id -> a message no longer in force (opened from a notice)
    this.answers = new Map(); // chain -> answer record
    this.areas = NO_AREAS;
    this.where = 'idle'; // finding the current ward: idle|locating|found|outside|denied|failed
    this.state = 'idle'; // the last refresh: idle|loading|ok|offline|failed
    this.areasState = 'idle'; // saving the areas: idle|saving|saved|offline|failed
    this.geo = null; // {geojson, etag}
    this.wardList = null;
    this.ready = null;
    this.locatedAt = 0;
  }

  start() {
    if (this.ready) return this.ready;
    this.ready = (async () => {
      const [list, areas, answers] = await Promise.all([getKey('list'), getKey('areas'), allAnswers()]);
      this.list = list ?? null;
      this.areas = { ...NO_AREAS, ...areas };
      this.answers = new Map(answers.map((a) => [a.chain, a]));
      this.changed();
    })();
    const again = () => {
      this.refresh();
      this.flush();
      if (!this.areas.synced) this.saveAreas();
      this.locate({ quiet: true });
    };
    this.ready.then(again);
    addEventListener('online', again);
    document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && again());
    onWorkerMessage('warning-push', () => this.refresh());
    return this.ready;
  }

  // -- the list --------------------------------------------------------------------------------
  async refresh() {
    await this.ready;
    const exercise = Boolean(this.areas.exercises);
    const path = `/api/warnings${exercise ? '?exercise=1' : ''}`;
    const etag = this.list?.exercise === exercise ? this.list.etag : null;
    this.state = 'loading';
    this.changed();
    try {
      const answer = await revalidate(path, etag);
      const warnings = answer.status === 304 ? this.list.warnings : answer.body.warnings;
      this.list = { warnings, etag: answer.status === 304 ? etag : answer.etag, at: Date.now(), exercise };
      this.state = 'ok';
      await putKey('list', this.list);
    } catch (error) {
      this.state = error.isNetwork ? 'offline' : 'failed';
    }
    this.changed();
  }

  warnings() {
    return this.list?.warnings ?? [];
  }

  /** A message by id: in the list, or asked for (a notice of a warning since cancelled). */
  find(id) {
    return this.warnings().find((w) => w.id === id) ?? this.others.get(id) ?? null;
  }

  async fetchOne(id) {
    try {
      const { body } = await revalidate(`/api/warnings/${encodeURIComponent(id)}`, null);
      this.others.set(id, body);
    } catch (error) {
      this.others.set(id, { id, missing: error.isNetwork ? 'offline' : 'gone' });
    }
    this.changed();
  }

  /** Whether a warning's area meets a ward this phone follows. */
  covers(warning) {
    const codes = this.followed();
    if (!codes.length) return false;
    return warning.all_city || warning.wards.some((w) => codes.includes(w.code));
  }

  // -- answers ---------------------------------------------------------------------------------
  answerOf(warning) {
    return this.answers.get(warning.chain ?? warning.id) ?? null;
  }

  /**
   * Kept on the phone first, then sent: "Tôi an toàn" counts even if it waits for a network.
   * Resolves once kept, not once sent: "Cần giúp đỡ" must not wait on a slow link to open the report.
   */
  async answer(warning, answer) {
    const record = { chain: warning.chain ?? warning.id, warning: warning.id, answer, at: Date.now(), state: 'waiting' };
    this.answers.set(record.chain, record);
    this.changed();
    await putAnswer(record);
    this.flush().catch((error) => console.warn('answers not sent', error));
  }

  async flush() {
    await this.ready;
    if (this.flushing) return this.flushing;
    this.flushing = (async () => {
      for (const record of [...this.answers.values()].filter((a) => a.state === 'waiting')) {
        let state;
        try {
          await asDevice('POST', `/api/warnings/${encodeURIComponent(record.warning)}/answers`, { answer: record.answer });
          state = 'sent';
        } catch (error) {
          if (error.isNetwork || error.status === 429 || error.status >= 500) break; // later
          state = error.status === 409 ? 'ended' : 'refused';
        }
        // A newer answer given while this one was on its way is sent by the next round.
        if (this.answers.get(record.chain) !== record) continue;
        const next = { ...record, state };
        this.answers.set(record.chain, next);
        await putAnswer(next);
        this.changed();
      }
    })().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  // -- where this phone follows warnings -------------------------------------------------------
  /** The ward codes sent to the server: the current ward (if followed) and the chosen ones. */
  followed() {
    const { here, current, chosen } = this.areas;
    const codes = chosen.map((w) => w.code);
    if (here && current && !codes.includes(current.code)) codes.unshift(current.code);
    return codes;
  }

  async setAreas(changes) {
    await this.ready;
    const before = this.areas.exercises;
    this.areas = { ...this.areas, ...changes, synced: false };
    this.changed();
    await putKey('areas', this.areas);
    await this.saveAreas();
    if (this.areas.exercises !== before) this.refresh();
  }

  async saveAreas() {
    const sent = this.areas;
    this.areasState = 'saving';
    this.changed();
    try {
      await asDevice('PUT', '/api/citizen/devices/me/areas', { wards: this.followed(), exercises: Boolean(sent.exercises) });
      this.areasState = 'saved';
      if (this.areas === sent) {
        this.areas = { ...sent, synced: true };
        await putKey('areas', this.areas);
      }
    } catch (error) {
      this.areasState = error.isNetwork ? 'offline' : 'failed';
    }
    this.changed();
  }

  /** The public ward shapes: the phone's copy at once, revalidated with its ETag. */
  async boundaries() {
    if (!this.geoLoading) {
      this.geoLoading = (async () => {
        this.geo = (await getKey('boundaries')) ?? null;
        try {
          const answer = await revalidate('/api/warnings/wards.geojson', this.geo?.etag);
          if (answer.status === 200) {
            this.geo = { geojson: answer.body, etag: answer.etag };
            await putKey('boundaries', this.geo);
          }
        } catch {
          if (!this.geo) this.geoLoading = null; // nothing kept: ask again next time
        }
        return this.geo?.geojson ?? null;
      })();
    }
    return this.geoLoading;
  }

  /** Every ward `{code, name}`, for the chooser (kept for offline). */
  async wards() {
    if (this.wardList) return this.wardList;
    const kept = await getKey('wards');
    try {
      const { body } = await revalidate('/api/warnings/wards', null);
      this.wardList = body.wards;
      await putKey('wards', { wards: body.wards, at: Date.now() });
    } catch (error) {
      if (!kept) throw error;
      this.wardList = kept.wards;
    }
    return this.wardList;
  }

  /**
   * Find the current ward from a fresh position, on the phone. `quiet`: only if following
   * "where I am" and the location is allowed already (never a prompt at start), at most every
   * few minutes. The position itself is dropped here; only the ward's code goes anywhere.
   */
  async locate({ quiet = false } = {}) {
    await this.ready;
    if (!this.areas.here || !('geolocation' in navigator)) return;
    if (quiet) {
      if (Date.now() - this.locatedAt < LOCATE_EVERY_MS) return;
      const permission = await navigator.permissions?.query({ name: 'geolocation' }).catch(() => null);
      if (permission?.state !== 'granted') return;
    }
    this.locatedAt = Date.now();
    this.where = 'locating';
    this.changed();
    let position;
    try {
      position = await new Promise((resolve, reject) =>
        navigator.geolocation.getCurrentPosition(resolve, reject, { maximumAge: 60_000, timeout: 20_000 }),
      );
    } catch (error) {
      this.where = error.code === 1 ? 'denied' : 'failed';
      this.changed();
      return;
    }
    const geojson = await this.boundaries();
    const ward = geojson ? wardAt(geojson, { lat: position.coords.latitude, lon: position.coords.longitude }) : null;
    this.where = geojson ? (ward ? 'found' : 'outside') : 'failed';
    // Outside every known ward (out of the city): no "current" ward rather than a stale one.
    if (geojson && (ward?.code ?? null) !== (this.areas.current?.code ?? null)) await this.setAreas({ current: ward });
    else this.changed();
  }
}

export const warnings = new WarningsModel();
