// A live subscription for a document this device also WRITES, but through the offline queue
// (outbox.js) rather than the socket. A plain reader answers the server's step 1 with a step 2 of
// everything it has, so local changes not yet sent would travel over the WebSocket, outside the
// queue: refused there, the socket closes for good (4422) and the screen stops updating; accepted,
// the queue's copy is sent again anyway. This one answers with an empty step 2 ("nothing new"),
// so the queue stays the one write path and the socket only ever reads.
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import * as syncProtocol from 'y-protocols/sync';
import { LiveDoc } from './live.js';
import { MESSAGE_AUTH, MESSAGE_SYNC } from './messages.js';

const EMPTY_UPDATE = new Uint8Array([0, 0]); // no structs, no deletions

export class QuietLiveDoc extends LiveDoc {
  receive(ws, data) {
    const decoder = decoding.createDecoder(data);
    const type = decoding.readVarUint(decoder);
    if (type === MESSAGE_AUTH) {
      if (decoding.readVarUint(decoder) === 0) this.deny(decoding.readVarString(decoder));
      return;
    }
    if (type !== MESSAGE_SYNC) return;
    const kind = decoding.readVarUint(decoder);
    if (kind === syncProtocol.messageYjsSyncStep1) {
      decoding.readVarUint8Array(decoder); // the server's state vector: we owe it nothing here
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_SYNC);
      encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep2);
      encoding.writeVarUint8Array(encoder, EMPTY_UPDATE);
      if (ws.readyState === WebSocket.OPEN) ws.send(encoding.toUint8Array(encoder));
    } else {
      syncProtocol.readSyncStep2(decoder, this.doc, this);
      if (kind === syncProtocol.messageYjsSyncStep2) {
        this.failures = 0;
        this.onState('synced');
      }
    }
  }
}
