// The citizen device's identity: an anonymous signed token made by the server on first use
// (POST /api/citizen/devices), kept in IndexedDB where the service worker can read it too.
//
// It is made silently and lazily: a report can be written before it exists (first run with no
// signal), and is sent once it does. Safe in the service worker (no DOM, no translations).
import { done, openDatabase, transact } from './idb.js';
import { HttpError, httpError } from './http-error.js';
import { withLock } from './locks.js';
import { timedFetch } from './timed-fetch.js';

export const SYNC_DB = 'sos-sync';
const STORES = {
  outbox: { keyPath: 'name' },
  acks: { keyPath: 'name' },
  credentials: {},
};
const DEVICE_KEY = 'device';

export const syncDatabase = () => openDatabase(SYNC_DB, 1, STORES);

export async function storedDevice() {
  return transact(syncDatabase(), ['credentials'], 'readonly', ({ credentials }) =>
    done(credentials.get(DEVICE_KEY)),
  ).then((device) => device ?? null);
}

/**
 * The device identity, made now if there is none yet. Throws HttpError: status 0 offline,
 * 429 when this address has made too many identities (retryAfter tells when to try again).
 */
export function ensureDevice(fetchImpl = fetch) {
  return withLock('sos-device', async () => {
    const existing = await storedDevice();
    if (existing) return existing;
    let response;
    try {
      response = await timedFetch(fetchImpl, '/api/citizen/devices', {
        method: 'POST',
        headers: { Accept: 'application/json' },
        credentials: 'omit',
      });
    } catch {
      throw new HttpError(0, 'network', null);
    }
    if (response.status !== 201) throw await httpError(response);
    const { device_id: id, token } = await response.json();
    const device = { id, token, created_at: Date.now() };
    await transact(syncDatabase(), ['credentials'], 'readwrite', ({ credentials }) =>
      done(credentials.put(device, DEVICE_KEY)),
    );
    return device;
  });
}

/**
 * Forget a token the server no longer accepts (401), so the next send makes a new identity.
 * Only that exact token is dropped: another context may have replaced it already.
 */
export function forgetDevice(token) {
  return withLock('sos-device', () =>
    transact(syncDatabase(), ['credentials'], 'readwrite', async ({ credentials }) => {
      const current = await done(credentials.get(DEVICE_KEY));
      if (current?.token === token) await done(credentials.delete(DEVICE_KEY));
    }),
  );
}
