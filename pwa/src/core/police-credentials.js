// The signed-in police user's token where the service worker can read it (IndexedDB, next to the
// citizen device identity), so that an officer's queued progress is sent by Background Sync with
// no page open. The page keeps its own copy in localStorage (session.js); this one mirrors it and
// is removed at sign-out. Safe in the service worker.
import { done, transact } from './idb.js';
import { syncDatabase } from './device.js';

const KEY = 'police';

/** `{token, user_id}` or null. */
export function policeCredential() {
  return transact(syncDatabase(), ['credentials'], 'readonly', ({ credentials }) =>
    done(credentials.get(KEY)),
  ).then((value) => value ?? null);
}

export function storePoliceCredential(session) {
  const value = { token: session.token, user_id: String(session.user.id) };
  return transact(syncDatabase(), ['credentials'], 'readwrite', ({ credentials }) =>
    done(credentials.put(value, KEY)),
  );
}

export function clearPoliceCredential() {
  return transact(syncDatabase(), ['credentials'], 'readwrite', ({ credentials }) =>
    done(credentials.delete(KEY)),
  );
}
