// The bytes of an HTTP sync request (`POST /sync/<kind>/<id>`, docs/sync.md): the client's sync
// step 1 (its state vector, so the answer carries what it lacks) and its whole state as an update.
// The whole state, not a diff, because the server's copy is unknown until it answers, and Yjs
// ignores what it already has: resending is free on the server and keeps the queue simple.
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';

export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_AUTH = 2;

export function syncRequest(doc) {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  syncProtocol.writeSyncStep1(encoder, doc);
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(doc));
  return encoding.toUint8Array(encoder);
}

/** Only a step 1: "send me what I lack" (reading a document over HTTP). */
export function syncRead(doc) {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  syncProtocol.writeSyncStep1(encoder, doc);
  return encoding.toUint8Array(encoder);
}

/** Apply the server's answer (step 2 and updates) to `doc`, with `origin` as the change's origin. */
export function applyAnswer(doc, bytes, origin) {
  const decoder = decoding.createDecoder(bytes);
  const ignored = encoding.createEncoder();
  while (decoding.hasContent(decoder)) {
    if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) break;
    syncProtocol.readSyncMessage(decoder, ignored, doc, origin);
  }
}
