// Photos and videos of a report, behind one small interface; the upload pipeline plugs in here
// and nowhere else:
//
//   const item = await attach(file)            // kept on the phone at once: {localId, preview, …}
//   await adopt(reportId, [item.localId])      // the draft's files now belong to a sent report
//   await upload(reportId, item, onProgress)   // → the media id, to append to report.media
//
// Uploads are resumable tus uploads (core/media-upload.js): the upload URL of each file is kept
// with it in IndexedDB, and a photo's small preview goes first.
//
// A media id goes into the report document only after an upload has succeeded, so the police
// never see a reference to a file that is not there. Failures: `UploadLater` (no network, the
// report not on the server yet, …: the file stays "waiting" and the next start or `online`
// retries) and `UploadRefused` (the server will never take this file: 413 too large, 422 not a
// photo/video; the file is marked refused with the server's sentence and is not tried again).
import { storedDevice } from '../core/device.js';
import { done } from '../core/idb.js';
import { UploadLater, UploadRefused, UploadUnavailable, uploadKept } from '../core/media-upload.js';
import { mediaKind } from './media-kind.js';
import { run } from './store.js';

export { UploadLater, UploadRefused, UploadUnavailable };

export const DRAFT = 'draft';
export const MAX_FILES = 20; // the report document's limit

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

/** A picked file that is neither a photo nor a video (by its bytes): it is not kept. */
export class NotMedia extends Error {}

/**
 * Keep a picked file on the phone (for the draft) and return it with a preview URL. Throws
 * NotMedia when its first bytes are not those of a photo or video the server takes.
 */
export async function attach(file) {
  const found = await mediaKind(file);
  if (!found) throw new NotMedia(file.name || 'file');
  const record = {
    localId: localId(),
    reportId: DRAFT,
    blob: file,
    name: file.name || '',
    type: found.type,
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

/** Every file of a report (or the draft), with its id: to move back to the draft or to drop. */
export async function mediaIdsOf(reportId) {
  return (await listMedia(reportId)).map((m) => m.localId);
}

/** Move draft files to the report they were sent with (or, `DRAFT`, back to a new draft). */
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
  const token = (await storedDevice())?.token;
  const store = { get: getRecord, patch: patchRecord };
  return uploadKept({ reportId, localId: item.localId, token, store, onProgress });
}

export const isVideo = (item) => item.type.startsWith('video/');
