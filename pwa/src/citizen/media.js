// Photos and videos of a report, behind one small interface; the upload pipeline plugs in here
// and nowhere else:
//
//   const item = await attach(file)            // kept on the phone at once: {localId, preview, …}
//   await adopt(reportId, [item.localId])      // the draft's files now belong to a sent report
//   await upload(reportId, item, onProgress)   // → the media id, to append to report.media
//
// Uploads are tus 1.0 (media/README.md, "Client contract") with tus-js-client, loaded by a
// dynamic import the first time something is uploaded: it is a lazy chunk, never part of the
// first visit. The upload URL of each file is kept with it in IndexedDB, so a closed tab or a
// restarted browser resumes where it stopped. A photo first gets a small preview (about 1280 px,
// JPEG ≤ 150 KB) sent as `kind=preview, preview_of=<original id>` right after the original's
// upload is created and before its bytes, so the command center sees it within seconds.
//
// A media id goes into the report document only after an upload has succeeded, so the police
// never see a reference to a file that is not there. Failures: `UploadLater` (no network, the
// report not on the server yet, …: the file stays "waiting" and the next start or `online`
// retries) and `UploadRefused` (the server will never take this file: 413 too large, 422 not a
// photo/video; the file is marked refused with the server's sentence and is not tried again).
import { storedDevice } from '../core/device.js';
import { done } from '../core/idb.js';
import { getLang } from '../core/i18n.js';
import { run } from './store.js';

export const DRAFT = 'draft';
export const MAX_FILES = 20; // the report document's limit

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
const HASH_MAX_BYTES = 64 * 1024 * 1024; // larger files go without the optional `sha256`
const CHUNK_BYTES = 2 * 1024 * 1024; // an interrupted PATCH loses at most this much of a retry
const RETRY_MS = [0, 1000, 3000, 5000, 10000];

const localId = () =>
  `m${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;

function view(record) {
  return {
    localId: record.localId,
    reportId: record.reportId,
    name: record.name,
    type: record.type,
    size: record.size,
    state: record.mediaId ? 'uploaded' : record.refused ? 'refused' : 'waiting',
    mediaId: record.mediaId ?? null,
    refused: record.refused ?? null, // {status, code, message} once the server refused the file
    preview: URL.createObjectURL(record.blob),
  };
}

/** Keep a picked file on the phone (for the draft) and return it with a preview URL. */
export async function attach(file) {
  const record = {
    localId: localId(),
    reportId: DRAFT,
    blob: file,
    name: file.name || '',
    type: file.type || 'application/octet-stream',
    size: file.size,
    added_at: Date.now(),
    mediaId: null,
  };
  await run(['media'], 'readwrite', ({ media }) => done(media.put(record)));
  return view(record);
}

/** The files of a report (or of the draft), oldest first. */
export async function listMedia(reportId) {
  const records = await run(['media'], 'readonly', ({ media }) =>
    done(media.index('byReport').getAll(reportId)),
  );
  return records.sort((a, b) => a.added_at - b.added_at).map(view);
}

export async function remove(id) {
  await run(['media'], 'readwrite', ({ media }) => done(media.delete(id)));
}

/** Move draft files to the report they were sent with. */
export async function adopt(reportId, ids) {
  await run(['media'], 'readwrite', async ({ media }) => {
    for (const id of ids) {
      const record = await done(media.get(id));
      if (record) await done(media.put({ ...record, reportId }));
    }
  });
}

/** Record a finished upload: the file is now `mediaId` on the server. */
export async function setUploaded(id, mediaId) {
  await run(['media'], 'readwrite', async ({ media }) => {
    const record = await done(media.get(id));
    if (record) await done(media.put({ ...record, mediaId }));
  });
}

async function getRecord(id) {
  return run(['media'], 'readonly', ({ media }) => done(media.get(id)));
}

/** Merge `changes` into a file's record (upload URL, hash, preview sent, refusal). */
async function patchRecord(id, changes) {
  await run(['media'], 'readwrite', async ({ media }) => {
    const record = await done(media.get(id));
    if (record) await done(media.put({ ...record, ...changes }));
  });
}

/**
 * Upload one file of a sent report; `onProgress(fraction)` as bytes go out. Resolves with the
 * server's media id. Throws UploadLater or UploadRefused (see the module comment).
 */
export async function upload(reportId, item, onProgress) {
  onProgress?.(0);
  const record = await getRecord(item.localId);
  if (!record) throw new UploadRefused(0, 'gone', 'the file is no longer on this phone');
  if (record.mediaId) return record.mediaId;
  if (record.refused) throw new UploadRefused(record.refused.status, record.refused.code, record.refused.message);
  if (!navigator.onLine) throw new UploadLater('offline');
  const token = (await storedDevice())?.token;
  if (!token) throw new UploadLater('no device identity yet');
  let tus;
  try {
    tus = await import('tus-js-client');
  } catch {
    throw new UploadLater('the upload code could not be loaded (offline?)');
  }
  const headers = { Authorization: `Bearer ${token}`, 'Accept-Language': getLang() };
  const sha256 = record.sha256 ?? (await hashOf(record.blob));
  if (sha256 && !record.sha256) await patchRecord(record.localId, { sha256 });

  try {
    const mediaId = await sendOriginal(tus, { reportId, record, headers, sha256, onProgress });
    await patchRecord(record.localId, { uploadUrl: null });
    return mediaId;
  } catch (error) {
    const failure = classify(error);
    if (failure instanceof UploadRefused) {
      await patchRecord(record.localId, {
        refused: { status: failure.status, code: failure.code, message: failure.message },
        uploadUrl: null,
      });
    } else if (failure.forget) {
      await patchRecord(record.localId, { uploadUrl: null }); // 410: start afresh next time
    }
    throw failure;
  }
}

/** The original, resumed from its stored URL if it has one; its preview goes before its bytes. */
function sendOriginal(tus, { reportId, record, headers, sha256, onProgress }) {
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
        previewing ??= sendPreview(tus, { reportId, record, headers, originalId: idOf(upload.url) });
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
async function sendPreview(tus, { reportId, record, headers, originalId }) {
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

async function hashOf(blob) {
  if (blob.size > HASH_MAX_BYTES || !crypto.subtle) return null;
  try {
    const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
    return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
  } catch {
    return null;
  }
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

export const isVideo = (item) => item.type.startsWith('video/');
