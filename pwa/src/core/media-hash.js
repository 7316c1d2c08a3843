// SHA-256 for uploads, loaded with tus-js-client (a lazy chunk, never part of a first visit):
//
//   const hex = await sha256OfBlob(file)                  // the original as picked: hash at capture
//   new tus.Upload(file, { httpStack: checksumHttpStack(tus), ... })   // Upload-Checksum per PATCH
//
// Incremental (@noble/hashes), reading the Blob in slices, so a 200 MB video never sits whole in
// memory; and plain JavaScript, because crypto.subtle does not exist on a plain-http page.
// What this proves and what not: docs/evidence.md, "Hash at capture".
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

const SLICE_BYTES = 2 * 1024 * 1024;

/** The hex SHA-256 of a Blob, read SLICE_BYTES at a time. */
export async function sha256OfBlob(blob) {
  return bytesToHex((await hashBlob(blob)).digest());
}

async function hashBlob(blob) {
  const hash = sha256.create();
  for (let start = 0; start < blob.size; start += SLICE_BYTES) {
    hash.update(new Uint8Array(await blob.slice(start, start + SLICE_BYTES).arrayBuffer()));
  }
  return hash;
}

/** The value of Upload-Checksum (tus checksum extension) for one request body. */
export async function uploadChecksum(body) {
  const hash = body instanceof Blob
    ? await hashBlob(body)
    : sha256.create().update(body instanceof Uint8Array ? body : new Uint8Array(body.buffer ?? body));
  let binary = '';
  for (const byte of hash.digest()) binary += String.fromCharCode(byte);
  return `sha256 ${btoa(binary)}`;
}

/**
 * tus-js-client's own HTTP stack, with Upload-Checksum set on every request that carries bytes
 * (tus-js-client has no checksum support of its own). The server answers a body that differs
 * with 460 and keeps nothing of it; `shouldRetry` below sends the chunk again.
 */
export function checksumHttpStack(tus) {
  const inner = new tus.DefaultHttpStack();
  return {
    getName: () => `checksum+${inner.getName?.() ?? 'xhr'}`,
    createRequest(method, url) {
      const request = inner.createRequest(method, url);
      const send = request.send.bind(request);
      request.send = async (body = null) => {
        if (body != null) request.setHeader('Upload-Checksum', await uploadChecksum(body));
        return send(body);
      };
      return request;
    },
  };
}

/**
 * tus-js-client's retry rule (not a 4xx, except 409 and 423; and online) plus 460: a chunk
 * damaged on the way was not stored and is worth sending again.
 */
export function shouldRetry(error) {
  const status = error?.originalResponse?.getStatus?.() ?? 0;
  const retryable = status < 400 || status >= 500 || status === 409 || status === 423 || status === 460;
  return retryable && navigator.onLine !== false;
}
