// The officer's photos of an outcome, behind one small interface so the upload pipeline (tus,
// the media issue) plugs in here and nowhere else:
//
//   await attach(incidentId, files)         kept on the phone at once, "waiting to upload"
//   await listPhotos(incidentId)            [{localId, preview, state, mediaId}]
//   await upload(incidentId, item, onProgress)   → the media id (UploadUnavailable until wired)
//
// A progress entry never waits for its photos: "resolved" is written and sent at once. When all
// photos picked with it are uploaded, the model appends a `note` entry carrying their media ids,
// so the timeline never names a file the server does not have.
import { done, openDatabase, transact } from '../core/idb.js';

export class UploadUnavailable extends Error {}

const db = () => openDatabase('sos-officer', 1, { photos: { keyPath: 'localId', indexes: { byIncident: 'incident' } } });
const run = (mode, fn) => transact(db(), ['photos'], mode, ({ photos }) => fn(photos));
const localId = () => `p${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;

export async function attach(incident, files, group) {
  await run('readwrite', async (photos) => {
    for (const file of files) {
      await done(
        photos.put({
          localId: localId(),
          incident,
          group, // the progress entry they were taken for
          blob: file,
          name: file.name || 'photo.jpg',
          type: file.type || 'image/jpeg',
          added_at: Date.now(),
          mediaId: null,
        }),
      );
    }
  });
}

const previews = new Map(); // localId -> object URL, made once per page

export async function listPhotos(incident) {
  const records = await run('readonly', (photos) => done(photos.index('byIncident').getAll(incident)));
  return records
    .sort((a, b) => a.added_at - b.added_at)
    .map((r) => {
      if (!previews.has(r.localId)) previews.set(r.localId, URL.createObjectURL(r.blob));
      return { ...r, blob: undefined, preview: previews.get(r.localId), state: r.mediaId ? 'uploaded' : 'waiting' };
    });
}

export async function setUploaded(id, mediaId) {
  await run('readwrite', async (photos) => {
    const record = await done(photos.get(id));
    if (record) await done(photos.put({ ...record, mediaId }));
  });
}

export async function forgetPhotos(ids) {
  await run('readwrite', async (photos) => {
    for (const id of ids) await done(photos.delete(id));
  });
}

/** Upload one photo of an incident; resolves with the server's media id. Not wired yet. */
export async function upload(incident, item, onProgress) {
  onProgress?.(0);
  throw new UploadUnavailable('photo uploads are not available on this server yet');
}

let sending = false;

/**
 * Upload what waits for `incident`; each group whose photos are all uploaded becomes one note
 * entry with their ids (`addNote(mediaIds)`), and leaves the phone. Stops at the first failure.
 */
export async function sendWaiting(incident, addNote) {
  if (sending) return;
  sending = true;
  try {
    const items = await listPhotos(incident);
    for (const item of items) {
      if (item.state !== 'waiting') continue;
      try {
        item.mediaId = await upload(incident, item);
      } catch (error) {
        if (!(error instanceof UploadUnavailable)) console.warn('photo upload failed', error);
        return;
      }
      await setUploaded(item.localId, item.mediaId);
      item.state = 'uploaded';
    }
    const groups = new Map();
    for (const item of items) groups.set(item.group, [...(groups.get(item.group) ?? []), item]);
    for (const group of groups.values()) {
      await addNote(group.map((i) => i.mediaId));
      await forgetPhotos(group.map((i) => i.localId));
    }
  } finally {
    sending = false;
  }
}
