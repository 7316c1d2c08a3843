// A dispatcher's change to `incident/<id>`: entries appended to the `dispatch` log, sent with
// `POST /sync/incident/<id>` and applied to the live copy only once the server has taken them.
//
// Why HTTP and not the open socket: the answer says yes or no for exactly this change, with the
// server's reason, and a refusal leaves nothing behind (over the socket, a refused update closes
// the connection for good and the local copy would hold an entry the server never accepted).
//
// The change is made on a scratch copy with one Yjs client id kept for the life of the page, so
// the server records one writer id per console, not one per action (docs/sync.md "Owns its Yjs
// client ids"). Writes are sent one after another: each starts from the state the previous made.
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { HttpError, httpError } from '../../../core/http-error.js';
import { timedFetch } from '../../../core/timed-fetch.js';
import { applyAnswer, MESSAGE_SYNC } from '../../../core/sync/messages.js';

// One client id per signed-in person and page: two people on one console must not share one.
const writerIds = new Map(); // token -> Yjs client id

/** An id for a log entry (`[A-Za-z0-9_-]{6,64}`). */
export function entryId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_');
}

function body(stateVector, update) {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep1);
  encoding.writeVarUint8Array(encoder, stateVector);
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  syncProtocol.writeUpdate(encoder, update);
  return encoding.toUint8Array(encoder);
}

export class IncidentWriter {
  constructor(live, token) {
    this.live = live; // a LiveDoc of incident/<id>
    this.token = token;
    this.queue = Promise.resolve();
  }

  /**
   * Append `entries` to the dispatch log. Resolves when the server has them; throws HttpError.
   * Sending the same entries again (same ids) after an unanswered attempt is safe: entries the
   * document already holds are not added twice.
   */
  append(entries) {
    const run = this.queue.then(() => this.send(entries));
    this.queue = run.catch(() => {});
    return run;
  }

  async send(entries) {
    const live = this.live.doc;
    const scratch = new Y.Doc();
    Y.applyUpdate(scratch, Y.encodeStateAsUpdate(live));
    // Set after the state is in: Yjs renames a document whose own id shows up in applied content.
    if (!writerIds.has(this.token)) writerIds.set(this.token, scratch.clientID);
    scratch.clientID = writerIds.get(this.token);
    const before = Y.encodeStateVector(scratch);
    const log = scratch.getMap('incident').get('dispatch');
    if (!(log instanceof Y.Array)) throw new HttpError(409, 'not_ready', null);
    // A retry after a lost answer: what the server took meanwhile came back over the socket.
    const known = new Set(log.toArray().map((e) => e?.id));
    const fresh = entries.filter((e) => !known.has(e.id));
    if (!fresh.length) return;
    scratch.transact(() => log.push(fresh));
    const update = Y.encodeStateAsUpdate(scratch, before);
    let response;
    try {
      response = await timedFetch(fetch, `/sync/${this.live.name}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', Authorization: `Bearer ${this.token}` },
        body: body(before, update),
        credentials: 'same-origin',
      }, 20_000);
    } catch {
      throw new HttpError(0, 'network', null);
    }
    if (!response.ok) throw await httpError(response);
    this.live.applyAcknowledged(update);
    applyAnswer(live, new Uint8Array(await response.arrayBuffer()), this.live.provider);
  }
}
