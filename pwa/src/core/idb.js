// A few promise helpers over IndexedDB. Used by pages and by the service worker alike, so nothing
// here may touch the DOM. Every database the apps own is declared with its stores in one place.

const databases = new Map(); // name -> Promise<IDBDatabase>, one connection per context

/**
 * Open (and create or upgrade) a database. `stores` maps a store name to its options, e.g.
 * `{ outbox: { keyPath: 'name' } }`; `indexes` on a store: `{ byReport: 'reportId' }`.
 * Stores are only ever added: a newer version adds its stores and bumps `version`.
 */
export function openDatabase(name, version, stores) {
  let opening = databases.get(name);
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(name, version);
      request.onupgradeneeded = () => {
        const db = request.result;
        for (const [store, { indexes, ...options }] of Object.entries(stores)) {
          if (db.objectStoreNames.contains(store)) continue;
          const created = db.createObjectStore(store, options);
          for (const [index, keyPath] of Object.entries(indexes ?? {})) created.createIndex(index, keyPath);
        }
      };
      request.onsuccess = () => {
        const db = request.result;
        // Another tab (or the worker) of a newer version wants to upgrade: let it, reopen later.
        db.onversionchange = () => {
          db.close();
          databases.delete(name);
        };
        resolve(db);
      };
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error(`${name}: upgrade blocked by an older tab`));
    });
    opening.catch(() => databases.delete(name));
    databases.set(name, opening);
  }
  return opening;
}

/** A request's result as a promise. */
export function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * Run `fn(stores)` in one transaction over `names`; resolves with what `fn` returned (awaited)
 * once the transaction has COMMITTED, so callers never act on a write that could still be lost.
 * `fn` must only await IndexedDB requests of this transaction, or it closes under it.
 */
export async function transact(dbPromise, names, mode, fn) {
  const db = await dbPromise;
  const tx = db.transaction(names, mode);
  const stores = Object.fromEntries(names.map((n) => [n, tx.objectStore(n)]));
  const committed = new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
    tx.onerror = () => reject(tx.error);
  });
  let result;
  try {
    result = await fn(stores);
  } catch (error) {
    try {
      tx.abort();
    } catch {
      // already finished
    }
    throw error;
  }
  await committed;
  return result;
}
