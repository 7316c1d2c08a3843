// What this phone sends for an incident: the officer's own timeline entries, and the bytes that
// carry them (queued in the outbox, sent by the batch call).
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as syncProtocol from 'y-protocols/sync';
import { MESSAGE_SYNC } from '../core/sync/messages.js';

/** An id for a log entry (`[A-Za-z0-9_-]{6,64}`). */
export function entryId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_');
}

/** The ids of the timeline entries written by `userId`. */
export function entriesBy(doc, userId) {
  const timeline = doc.getMap('incident').get('timeline');
  return timeline instanceof Y.Array ? timeline.toArray().filter((e) => e.by === userId).map((e) => e.id) : [];
}

/**
 * The bytes queued for an incident: our state vector (step 1) and only the structs holding this
 * officer's own entries. The server has everything else (it came from there), and a whole-document
 * update of a long incident could pass the server's limit for one update (64 KiB) and be refused.
 */
export function progressRequest(doc, userId) {
  const timeline = doc.getMap('incident').get('timeline');
  const mine = new Set();
  // Yjs keeps no index by author: walk the array's items (one per push) for the client ids that
  // wrote this officer's entries, in this session or an earlier one.
  for (let item = timeline._start; item; item = item.right) {
    if (!item.deleted && item.content.getContent().some((e) => e?.by === userId)) mine.add(item.id.client);
  }
  const others = Y.decodeStateVector(Y.encodeStateVector(doc));
  for (const client of mine) others.delete(client);
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  syncProtocol.writeSyncStep1(encoder, doc);
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  syncProtocol.writeUpdate(encoder, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(others)));
  return encoding.toUint8Array(encoder);
}
