// Resumable uploads of a file kept on the phone (tus 1.0, media/README.md "Client contract"), for
// the citizen's report media and the officer's outcome photos alike:
//
//   const mediaId = await uploadKept({reportId, localId, token, store, onProgress})
//
// `store` keeps the file's record ({localId, blob, name, type, size, mediaId?, refused?, ...}):
// `store.get(localId)` and `store.patch(localId, changes)`. The upload URL is kept in the record,
// so a closed tab or a restarted browser resumes where it stopped. tus-js-client is loaded by a
// dynamic import the first time something is uploaded: a lazy chunk, never part of a first visit.
// A photo first gets a small preview (about 1280 px, JPEG <= 150 KB) sent as `kind=preview,
// preview_of=<original id>` right after the original's upload is created and before its bytes,
// so the command center sees it within seconds.
//
// Failures: `UploadLater` (no network, the report not on the server yet, server busy: try again
// later) and `UploadRefused` (the server will never take this file: 413 too large, 422 not a
// photo or video, 403; the record is marked refused with the server's sentence).
import { getLang } from './i18n.js';

export class UploadUnavailable extends Error {}
/** Not now (offline, report not on the server yet, server busy): try again later. */
export class UploadLater extends UploadUnavailable {}
/** Never: the server refused this file (`code`, and `message` to show the user). */
export class UploadRefused extends Error {
  constructor(status, code, message) {
    super(message || code || `refused (${status})`);
    this.status = status;
    this.code = code;
  }
}

const ENDPOINT = '/media/uploads/';
const PREVIEW_EDGE = 1280; // px, the longer side
const PREVIEW_MAX_BYTES = 150 * 1024;
const CHUNK_BYTES = 2 * 1024 * 1024; // an interrupted PATCH loses at most this much of a retry
const RETRY_MS = [0, 1000, 3000, 5000, 10000];

/**
 * Upload one kept file to the report (or incident: the same id) `reportId` with the bearer
 * `token`; `onProgress(fraction)` as bytes go out. Resolves with the server's media id.
 */
export async function uploadKept({ reportId, localId, token, store, onProgress }) {
  onProgress?.(0);
  const record = await store.get(localId);
  if (!record) throw new UploadRefused(0, 'gone', 'the file is no longer on this phone');
  if (record.mediaId) return record.mediaId;
  if (record.refused) throw new UploadRefused(record.refused.status, record.refused.code, record.refused.message);
  if (!navigator.onLine) throw new UploadLater('offline');
  if (!token) throw new UploadLater('not signed in, or no device identity yet');
  let tus, hashing;
  try {
    [tus, hashing] = await Promise.all([import('tus-js-client'), import('./media-hash.js')]);
  } catch {
    throw new UploadLater('the upload code could not be loaded (offline?)');
  }
  const headers = { Authorization: `Bearer ${token}`, 'Accept-Language': getLang() };
  const sha256 = record.sha256 ?? (await hashOf(hashing, record.blob));
  if (sha256 && !record.sha256) await store.patch(localId, { sha256 });
  const patchRecord = (id, changes) => store.patch(id, changes);
  // Every PATCH carries Upload-Checksum (tus checksum); a chunk damaged on the way (460) is resent.
  const client = { ...tus, Upload: withChecksums(tus, hashing) };

  try {
    const mediaId = await sendOriginal(client, { reportId, record, headers, sha256, onProgress, patchRecord });
    await store.patch(localId, { uploadUrl: null });
    return mediaId;
  } catch (error) {
    const failure = classify(error);
    if (failure instanceof UploadRefused) {
      await store.patch(localId, {
        refused: { status: failure.status, code: failure.code, message: failure.message },
        uploadUrl: null,
      });
    } else if (failure.forget) {
      await store.patch(localId, { uploadUrl: null }); // 410: start afresh next time
    }
    throw failure;
  }
}

/** The original, resumed from its stored URL if it has one; its preview goes before its bytes. */
function sendOriginal(tus, { reportId, record, headers, sha256, onProgress, patchRecord }) {
  return new Promise((resolve, reject) => {
    let previewing = null;
    const metadata = {
      report: reportId,
      filename: record.name || 'file',
      filetype: record.type,
      kind: 'original',
    };
    if (sha256) metadata.sha256 = sha256;
    const upload = new tus.Upload(record.blob, {
      endpoint: ENDPOINT,
      uploadUrl: record.uploadUrl || null,
      headers,
      metadata,
      chunkSize: CHUNK_BYTES,
      retryDelays: RETRY_MS,
      storeFingerprintForResuming: false, // the URL is kept in our IndexedDB record instead
      removeFingerprintOnSuccess: true,
      onUploadUrlAvailable() {
        patchRecord(record.localId, { uploadUrl: upload.url }).catch(() => {});
      },
      // Awaited by tus-js-client before each request: the first PATCH of the original waits for
      // the preview (README: create the original, then send the preview, then the original).
      async onBeforeRequest(req) {
        if (req.getMethod() === 'POST' && !req.getHeader?.('X-HTTP-Method-Override')) return;
        if (req.getMethod() === 'HEAD') return;
        previewing ??= sendPreview(tus, { reportId, record, headers, originalId: idOf(upload.url), patchRecord });
        await previewing;
      },
      onProgress(sent, total) {
        onProgress?.(total ? sent / total : 0);
      },
      onSuccess() {
        resolve(idOf(upload.url));
      },
      onError: reject,
    });
    upload.start();
  });
}

/**
 * The small preview, once per file. Never fails the original: a photo the browser cannot
 * decode (HEIC on most phones), an error or a refusal only means the police wait for the
 * original's own thumbnail.
 */
async function sendPreview(tus, { reportId, record, headers, originalId, patchRecord }) {
  if (record.previewSent || !originalId || !record.type.startsWith('image/')) return;
  if (record.size <= PREVIEW_MAX_BYTES) return; // the original is as quick to send as a preview
  let blob;
  try {
    blob = await scaledJpeg(record.blob);
  } catch {
    return;
  }
  if (!blob) return;
  try {
    await new Promise((resolve, reject) => {
      new tus.Upload(blob, {
        endpoint: ENDPOINT,
        headers,
        metadata: {
          report: reportId,
          filename: `preview-${record.name || 'photo'}.jpg`.replace(/\.[^.]+\.jpg$/, '.jpg'),
          filetype: 'image/jpeg',
          kind: 'preview',
          preview_of: originalId,
        },
        retryDelays: RETRY_MS.slice(0, 3),
        storeFingerprintForResuming: false,
        onSuccess: resolve,
        onError: reject,
      }).start();
    });
    await patchRecord(record.localId, { previewSent: true });
  } catch (error) {
    const status = error?.originalResponse?.getStatus?.();
    // Refused for good (e.g. 409 `preview_exists`, 413, 422): do not send it again.
    if (status >= 400 && status < 500 && status !== 408 && status !== 429) {
      await patchRecord(record.localId, { previewSent: true });
    }
  }
}

/**
 * A JPEG of at most PREVIEW_EDGE px on its longer side and PREVIEW_MAX_BYTES, upright: a lower
 * quality first, then a smaller size, for photos that compress badly (night shots, foliage).
 */
async function scaledJpeg(blob) {
  const bitmap = await createImageBitmap(blob, { imageOrientation: 'from-image' });
  try {
    for (const edge of [PREVIEW_EDGE, 960, 720, 480]) {
      const scale = Math.min(1, edge / Math.max(bitmap.width, bitmap.height));
      const width = Math.max(1, Math.round(bitmap.width * scale));
      const height = Math.max(1, Math.round(bitmap.height * scale));
      const canvas =
        typeof OffscreenCanvas === 'function'
          ? new OffscreenCanvas(width, height)
          : Object.assign(document.createElement('canvas'), { width, height });
      canvas.getContext('2d').drawImage(bitmap, 0, 0, width, height);
      for (const quality of [0.75, 0.55, 0.4]) {
        const jpeg = canvas.convertToBlob
          ? await canvas.convertToBlob({ type: 'image/jpeg', quality })
          : await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
        if (jpeg && jpeg.size <= PREVIEW_MAX_BYTES) return jpeg;
      }
    }
    return null; // better no preview than a slow one
  } finally {
    bitmap.close?.();
  }
}

/** The original's SHA-256 as kept on the phone (sent as `sha256`; docs/evidence.md). */
async function hashOf(hashing, blob) {
  try {
    return await hashing.sha256OfBlob(blob);
  } catch {
    return null; // the file can no longer be read: the upload will say so
  }
}

/** tus.Upload with the checksum HTTP stack and the retry rule that includes 460. */
function withChecksums(tus, hashing) {
  const httpStack = hashing.checksumHttpStack(tus);
  return class extends tus.Upload {
    constructor(file, options) {
      super(file, { ...options, httpStack, onShouldRetry: hashing.shouldRetry });
    }
  };
}

const idOf = (url) => (url ? decodeURIComponent(url.split('?')[0].replace(/\/+$/, '').split('/').pop()) : null);

/** A tus-js-client error as UploadRefused (never again) or UploadLater (try again later). */
function classify(error) {
  const response = error?.originalResponse;
  const status = response?.getStatus?.() ?? 0;
  let body = null;
  try {
    body = JSON.parse(response?.getBody?.() || 'null');
  } catch {
    // not JSON
  }
  const code = body?.error ?? null;
  const message = body?.message ?? null;
  if (status === 422 || status === 413 || status === 400 || status === 403 || status === 415) {
    return new UploadRefused(status, code ?? String(status), message);
  }
  const later = new UploadLater(message || error?.message || `upload failed (${status})`);
  later.status = status;
  later.code = code;
  later.forget = status === 410 || status === 404; // the stored upload is gone: create a new one
  return later;
}

