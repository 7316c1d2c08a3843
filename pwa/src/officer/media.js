// The officer's photos of an outcome:
//
//   await attach(incidentId, files, entryId)    kept on the phone at once, "waiting to upload"
//   await listPhotos(incidentId)                [{localId, preview, state, mediaId}]
//   await upload(incidentId, item, onProgress)  → the media id
//
// Uploads are the same resumable tus uploads as the citizen's (core/media-upload.js), to the
// incident's report, with the officer's own token. A progress entry never waits for its photos:
// "resolved" is written and sent at once. When all photos picked with it are uploaded, the model
// appends a `note` entry carrying their media ids, so the timeline never names a file the server
// does not have. Photos wait on the phone with no signal and go when coverage returns.
import { done, openDatabase, transact } from '../core/idb.js';
import { UploadLater, UploadRefused, uploadKept } from '../core/media-upload.js';
import { policeCredential } from '../core/police-credentials.js';

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
          size: file.size,
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
      const state = r.mediaId ? 'uploaded' : r.refused ? 'refused' : 'waiting';
      return { ...r, blob: undefined, preview: previews.get(r.localId), state };
    });
}

export async function setUploaded(id, mediaId) {
  await patchPhoto(id, { mediaId });
}

export async function forgetPhotos(ids) {
  await run('readwrite', async (photos) => {
    for (const id of ids) await done(photos.delete(id));
  });
}

async function patchPhoto(id, changes) {
  await run('readwrite', async (photos) => {
    const record = await done(photos.get(id));
    if (record) await done(photos.put({ ...record, ...changes }));
  });
}

const store = {
  get: (id) => run('readonly', (photos) => done(photos.get(id))),
  patch: patchPhoto,
};

/** Upload one photo of an incident; resolves with the server's media id. */
export async function upload(incident, item, onProgress) {
  const token = (await policeCredential())?.token;
  return uploadKept({ reportId: incident, localId: item.localId, token, store, onProgress });
}

let sending = false;

/**
 * Upload what waits for `incident`. A group (the photos picked with one entry) is done when each
 * of its photos is uploaded or refused by the server for good: its uploaded photos become one note
 * entry (`addNote(mediaIds)`) and leave the phone; refused ones stay, with the server's reason,
 * until the officer removes them. Stops at the first photo that has to wait (offline, server busy).
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
        if (error instanceof UploadRefused) {
          item.state = 'refused'; // the reason is kept in the record (core/media-upload.js)
          continue;
        }
        if (!(error instanceof UploadLater)) console.warn('photo upload failed', error);
        return;
      }
      await setUploaded(item.localId, item.mediaId);
      item.state = 'uploaded';
    }
    const groups = new Map();
    for (const item of items) groups.set(item.group, [...(groups.get(item.group) ?? []), item]);
    for (const group of groups.values()) {
      const uploaded = group.filter((i) => i.state === 'uploaded');
      if (!uploaded.length) continue;
      await addNote(uploaded.map((i) => i.mediaId));
      await forgetPhotos(uploaded.map((i) => i.localId));
    }
  } finally {
    sending = false;
  }
}
