// A live, read-only subscription to one document over the y-websocket protocol
// (`WS /sync/<kind>/<id>?token=…`, DESIGN §4): the server's changes arrive as they are made.
//
// Smaller than a stock y-websocket provider because a reader needs no awareness and never sends
// its own updates; the wire format is the same. Reconnects with backoff while the page is online,
// at once when it comes back online, and gives up for good on permission-denied (4401–4499).
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import { MESSAGE_AUTH, MESSAGE_SYNC } from './messages.js';

const BACKOFF_MS = [1_000, 3_000, 10_000, 30_000];

export class LiveDoc {
  /**
   * `getToken()` resolves to the bearer token (or null: not yet, retried later). `onState(state)`
   * hears 'connecting' | 'synced' | 'offline' | 'denied' (with the server's reason as second
   * argument).
   */
  constructor(name, doc, { getToken, onState = () => {} }) {
    this.name = name;
    this.doc = doc;
    this.getToken = getToken;
    this.onState = onState;
    this.ws = null;
    this.failures = 0;
    this.timer = null;
    this.stopped = false;
    this.denied = false;
    this.onOnline = () => this.reconnectNow();
    addEventListener('online', this.onOnline);
    this.connect();
  }

  async connect() {
    if (this.stopped || this.denied || this.ws) return;
    if (!navigator.onLine) {
      // Certainly offline: wait for the `online` event rather than fail a connection attempt.
      this.onState('offline');
      return;
    }
    const token = await this.getToken().catch(() => null);
    if (this.stopped || this.ws) return;
    if (!token) {
      this.retry();
      return;
    }
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${scheme}//${location.host}/sync/${this.name}?token=${encodeURIComponent(token)}`;
    const ws = new WebSocket(url);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.onState('connecting');
    ws.onopen = () => {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_SYNC);
      syncProtocol.writeSyncStep1(encoder, this.doc);
      ws.send(encoding.toUint8Array(encoder));
    };
    ws.onmessage = (event) => this.receive(ws, new Uint8Array(event.data));
    ws.onclose = (event) => {
      if (this.ws === ws) this.ws = null;
      if (event.code >= 4400 && event.code < 4500) this.deny(event.reason);
      if (!this.stopped && !this.denied) {
        this.onState('offline');
        this.retry();
      }
    };
  }

  receive(ws, data) {
    const decoder = decoding.createDecoder(data);
    const type = decoding.readVarUint(decoder);
    if (type === MESSAGE_SYNC) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_SYNC);
      const kind = syncProtocol.readSyncMessage(decoder, encoder, this.doc, this);
      // The answer to the server's step 1 is our step 2. A reader has nothing of its own to
      // send, but the protocol expects the reply, and an empty one is a no-op for the server.
      if (encoding.length(encoder) > 1 && ws.readyState === WebSocket.OPEN) {
        ws.send(encoding.toUint8Array(encoder));
      }
      if (kind === syncProtocol.messageYjsSyncStep2) {
        this.failures = 0;
        this.onState('synced');
      }
    } else if (type === MESSAGE_AUTH && decoding.readVarUint(decoder) === 0) {
      this.deny(decoding.readVarString(decoder));
    }
    // Awareness (type 1) is presence of other readers: nothing a citizen needs.
  }

  deny(reason) {
    if (this.denied) return;
    this.denied = true;
    this.onState('denied', reason);
  }

  retry() {
    if (this.stopped || this.denied || this.timer || !navigator.onLine) return;
    const delay = BACKOFF_MS[Math.min(this.failures, BACKOFF_MS.length - 1)];
    this.failures += 1;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.connect();
    }, delay);
  }

  reconnectNow() {
    clearTimeout(this.timer);
    this.timer = null;
    this.failures = 0;
    this.connect();
  }

  /** Try again after a denial (e.g. the report has reached the server since). */
  resume() {
    this.denied = false;
    this.reconnectNow();
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    removeEventListener('online', this.onOnline);
    this.ws?.close(1000);
    this.ws = null;
  }
}
