// The framing of the batch call `POST /sync` (docs/sync.md): many documents in one round trip,
// for an officer coming back into coverage. lib0 only, so the service worker can use it too.
//
//   request  = varUint count, count × (varString name, varUint8Array messages)   names unique
//   response = varUint count, count × (varString name, varUint status, varUint8Array body)
//              status 200: y-protocols messages; otherwise UTF-8 JSON {error, message}
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';

export const MAX_DOCUMENTS = 256;
// The server takes 8 MiB; leave room so a group never meets the limit by a few bytes.
export const MAX_BYTES = 6 * 1024 * 1024;

/** `items`: [[name, Uint8Array messages], …] → the request body. */
export function encodeBatch(items) {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, items.length);
  for (const [name, messages] of items) {
    encoding.writeVarString(encoder, name);
    encoding.writeVarUint8Array(encoder, messages);
  }
  return encoding.toUint8Array(encoder);
}

/** The response body → [{name, status, body, error}], in request order (`error`: parsed JSON). */
export function decodeBatch(bytes) {
  const decoder = decoding.createDecoder(bytes);
  const results = [];
  for (let n = decoding.readVarUint(decoder); n > 0; n -= 1) {
    const name = decoding.readVarString(decoder);
    const status = decoding.readVarUint(decoder);
    const body = decoding.readVarUint8Array(decoder);
    let error = null;
    if (status !== 200) {
      try {
        error = JSON.parse(new TextDecoder().decode(body));
      } catch {
        error = { error: 'http', message: null };
      }
    }
    results.push({ name, status, body, error });
  }
  return results;
}

/** Split `items` (each with `.size` in bytes) into groups the server accepts in one request. */
export function groups(items, size = (item) => item.size) {
  const out = [];
  let current = [];
  let bytes = 0;
  for (const item of items) {
    if (current.length && (current.length >= MAX_DOCUMENTS || bytes + size(item) > MAX_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size(item);
  }
  if (current.length) out.push(current);
  return out;
}
