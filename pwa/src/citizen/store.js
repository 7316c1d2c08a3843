// What the citizen app keeps on the phone besides the Yjs documents (which y-indexeddb keeps):
//   reports   one record per report made here: {id, category, created_at, seen_status}
//   media     photos and videos waiting to be uploaded: {localId, reportId, blob, name, type, size}
//   prefs     small settings: the contact for call-backs and whether it was asked for
import { done, openDatabase, transact } from '../core/idb.js';

const STORES = {
  reports: { keyPath: 'id' },
  media: { keyPath: 'localId', indexes: { byReport: 'reportId' } },
  prefs: {},
};
const db = () => openDatabase('sos-citizen', 1, STORES);

export const run = (names, mode, fn) => transact(db(), names, mode, fn);

export const allReports = () => run(['reports'], 'readonly', ({ reports }) => done(reports.getAll()));

export const deleteReport = (id) => run(['reports'], 'readwrite', ({ reports }) => done(reports.delete(id)));

export const putReport = (record) => run(['reports'], 'readwrite', ({ reports }) => done(reports.put(record)));

export async function updateReport(id, changes) {
  return run(['reports'], 'readwrite', async ({ reports }) => {
    const record = await done(reports.get(id));
    if (!record) return null;
    const next = { ...record, ...changes };
    await done(reports.put(next));
    return next;
  });
}

export const getPref = (key) => run(['prefs'], 'readonly', ({ prefs }) => done(prefs.get(key)));

export const setPref = (key, value) => run(['prefs'], 'readwrite', ({ prefs }) => done(prefs.put(value, key)));
