// One document followed live with a stock y-websocket `WebsocketProvider` (the desktop is always
// on), optionally cached in IndexedDB (y-indexeddb) so the queue shows at once on the next start.
//
// The console never edits a live document locally: its own writes go over HTTP first and are
// applied here only once the server took them (incident/writer.js). So a refusal can never leave
// this copy holding something the server does not have.
import * as Y from 'yjs';
import { IndexeddbPersistence } from 'y-indexeddb';
import { WebsocketProvider } from 'y-websocket';

const CACHE_PREFIX = 'sos-center:';

export function wsBase() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/sync`;
}

/**
 * `onStatus(status, detail)` hears 'connecting' | 'live' | 'offline' | 'denied' (with
 * `{code, reason}`: the server closed for good, e.g. 4401 when the session ended).
 */
export class LiveDoc {
  constructor(name, { token, persist = false, onStatus = () => {}, awareness = null }) {
    this.name = name;
    this.token = token;
    this.persist = persist;
    this.onStatus = onStatus;
    this.awarenessState = awareness;
    this.doc = new Y.Doc();
    this.provider = null;
    this.persistence = null;
    this.status = 'connecting';
    this.stopped = false;
    this.recovered = false;
    this.ready = this.start();
  }

  async start() {
    if (this.persist) {
      this.persistence = new IndexeddbPersistence(CACHE_PREFIX + this.name, this.doc);
      // A broken IndexedDB (private mode, quota) must not keep the queue from connecting.
      await Promise.race([this.persistence.whenSynced, new Promise((r) => setTimeout(r, 2000))]);
    }
    if (this.stopped) return;
    const provider = new WebsocketProvider(wsBase(), this.name, this.doc, {
      params: { token: this.token },
      disableBc: true, // each tab talks to the server; the server is the one source of truth
      maxBackoffTime: 10_000,
    });
    this.provider = provider;
    if (this.awarenessState) provider.awareness.setLocalState(this.awarenessState);
    provider.on('status', ({ status }) => {
      if (status === 'disconnected') this.set('offline');
      else if (status === 'connecting' && this.status !== 'offline') this.set('connecting');
    });
    provider.on('sync', (synced) => synced && this.set('live'));
    provider.on('closed', (event) => this.closed(event));
  }

  set(status, detail) {
    if (this.stopped) return;
    this.status = status;
    this.onStatus(status, detail);
  }

  /**
   * The server closed for good (4400–4499). A cached copy the server refuses (say, the database
   * was restored from a backup) is dropped once and the document fetched afresh; anything else
   * (4401 session ended, 4403 no access) is the caller's to show.
   */
  async closed(event) {
    if (this.persist && !this.recovered && event.code !== 4401) {
      this.recovered = true;
      this.provider.destroy();
      await this.persistence.clearData();
      this.doc = new Y.Doc();
      this.set('connecting');
      this.ready = this.start();
      this.onStatus('reset');
      return;
    }
    this.set('denied', event);
  }

  /** Apply an update that the server already holds, without sending it back over the socket. */
  applyAcknowledged(update) {
    Y.applyUpdate(this.doc, update, this.provider);
  }

  async clearCache() {
    if (this.persistence) await this.persistence.clearData();
  }

  destroy() {
    this.stopped = true;
    this.provider?.destroy();
    this.persistence?.destroy();
  }
}
