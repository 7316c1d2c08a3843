// Photos and videos of a report, behind one small interface so the upload pipeline (tus, a later
// issue) plugs in here and nowhere else:
//
//   const item = await attach(file)            // kept on the phone at once: {localId, preview, …}
//   await adopt(reportId, [item.localId])      // the draft's files now belong to a sent report
//   await upload(reportId, item, onProgress)   // → the media id, to append to report.media
//
// Until the server has `/media/uploads/`, `upload` refuses with UploadUnavailable and the files
// stay in IndexedDB as "waiting to upload". A media id goes into the report document only after
// an upload has succeeded, so the police never see a reference to a file that is not there.
import { done } from '../core/idb.js';
import { run } from './store.js';

export const DRAFT = 'draft';
export const MAX_FILES = 20; // the report document's limit

export class UploadUnavailable extends Error {}

const localId = () =>
  `m${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;

function view(record) {
  return {
    localId: record.localId,
    reportId: record.reportId,
    name: record.name,
    type: record.type,
    size: record.size,
    state: record.mediaId ? 'uploaded' : 'waiting',
    mediaId: record.mediaId ?? null,
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

/**
 * Upload one file of a sent report; `onProgress(fraction)` as bytes go out. Resolves with the
 * server's media id. The media pipeline is not on the server yet: see the module comment.
 */
export async function upload(reportId, item, onProgress) {
  onProgress?.(0);
  throw new UploadUnavailable('media uploads are not available on this server yet');
}

export const isVideo = (item) => item.type.startsWith('video/');
