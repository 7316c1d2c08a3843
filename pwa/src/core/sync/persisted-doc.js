// A Yjs document kept in IndexedDB (y-indexeddb), one database per document name, so a report
// and its reply survive a closed tab and a restarted browser and open with no network.
import * as Y from 'yjs';
import { clearDocument, IndexeddbPersistence } from 'y-indexeddb';

const open = new Map(); // name -> Promise<{doc, persistence}>, shared by every screen of a page

/** The document `name`, loaded from IndexedDB; the same instance for every caller in this page. */
export function openDoc(name) {
  let loading = open.get(name);
  if (!loading) {
    const doc = new Y.Doc();
    const persistence = new IndexeddbPersistence(name, doc);
    loading = persistence.whenSynced.then(() => ({ doc, persistence }));
    open.set(name, loading);
  }
  return loading.then(({ doc }) => doc);
}

/**
 * Persist a document made in memory under `name` (a new report), and resolve once IndexedDB has
 * it. y-indexeddb writes the state it finds at attach time in its first transaction.
 */
export async function persistNew(name, doc) {
  const persistence = new IndexeddbPersistence(name, doc);
  const loading = persistence.whenSynced.then(() => ({ doc, persistence }));
  open.set(name, loading);
  await loading;
  return doc;
}

/** Drop a document from this page and from IndexedDB (no longer needed on this phone). */
export async function forgetDoc(name) {
  const loading = open.get(name);
  open.delete(name);
  if (!loading) {
    await clearDocument(name);
    return;
  }
  const { doc, persistence } = await loading;
  await persistence.clearData();
  doc.destroy();
}
