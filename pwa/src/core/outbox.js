// The offline queue: documents waiting to be sent to the server, kept in IndexedDB so they survive
// a closed tab and a restarted browser, and sendable from a page or from the service worker alone.
//
// An entry is one document's whole pending state, already encoded as y-protocols messages by the
// page (the worker needs no Yjs): `{name, body, rev, meta, auth}`. Writing an entry again replaces
// it with a newer revision. Sending is `POST /sync/<name>`; a 200 means the server has committed
// everything in the body. Yjs updates are idempotent, so a retry after a lost answer changes
// nothing on the server; the entry is removed only when the revision that was sent is still the
// newest, and the acknowledgement (with the entry's `meta`) is kept in `acks` for the screens.
//
// Outcomes per entry: 200 acknowledged; 401 a new device identity and one more try; 429 wait for
// Retry-After; 5xx and no answer retried later; any other 4xx is a refusal: the entry is kept and
// `held` with the server's reason, shown to the user, and tried again only when asked to (or at
// the next app start), never dropped.
//
// Police entries (`auth: 'user'`, an officer's progress) are sent together in ONE batch request,
// `POST /sync` (sync/batch.js), with the signed-in user's token (police-credentials.js): an
// officer coming back into coverage sends every incident in one round trip. Each document's
// answer in the batch counts like the answer to its own POST. An entry whose `meta.user` is not
// the signed-in user waits for that user (a shared phone), and is never sent under another name.
import { done, transact } from './idb.js';
import { ensureDevice, forgetDevice, syncDatabase } from './device.js';
import { HttpError, httpError } from './http-error.js';
import { withLock } from './locks.js';
import { policeCredential } from './police-credentials.js';
import { decodeBatch, encodeBatch, groups } from './sync/batch.js';
import { timedFetch } from './timed-fetch.js';

export const CHANNEL = 'sos-outbox';
export const SYNC_TAG = 'sos-outbox';
// Retried soon after a server error, then less and less often.
const BACKOFF_MS = [5_000, 15_000, 60_000, 300_000];

const db = () => syncDatabase();

function announce(detail) {
  if (typeof BroadcastChannel === 'undefined') return;
  const channel = new BroadcastChannel(CHANNEL);
  channel.postMessage(detail);
  channel.close();
}

/** Queue `body` (Uint8Array of y-protocols messages) as the pending state of document `name`. */
export async function enqueue(name, body, meta = {}, auth = 'device') {
  const entry = {
    name,
    body,
    meta,
    auth,
    rev: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`,
    queued_at: Date.now(),
    attempts: 0,
    error: null,
    held: false,
    retry_at: 0,
  };
  await transact(db(), ['outbox'], 'readwrite', ({ outbox }) => done(outbox.put(entry)));
  announce({ type: 'queued', name });
  return entry;
}

export async function pending() {
  return transact(db(), ['outbox'], 'readonly', ({ outbox }) => done(outbox.getAll()));
}

export async function acks() {
  return transact(db(), ['acks'], 'readonly', ({ acks: store }) => done(store.getAll()));
}

/**
 * Give up an entry the server refused for good (the user said so): the page then drops its local
 * copy of the document too, or it would hold changes the server will never take.
 */
export async function discard(name) {
  await transact(db(), ['outbox'], 'readwrite', ({ outbox }) => done(outbox.delete(name)));
  announce({ type: 'discarded', name });
}

/** Release held entries (after the user asked to try again), so the next flush sends them. */
export async function release(names = null) {
  await transact(db(), ['outbox'], 'readwrite', async ({ outbox }) => {
    for (const entry of await done(outbox.getAll())) {
      if (names && !names.includes(entry.name)) continue;
      if (!entry.held && !entry.retry_at) continue;
      await done(outbox.put({ ...entry, held: false, retry_at: 0 }));
    }
  });
}

/**
 * Send what is due. Returns `{sent, waiting, held, offline, next_at}`: `waiting` entries are still
 * to be retried automatically (`next_at`: the earliest time in ms, 0 if only the network is
 * missing), `held` ones wait for the user. Never throws for a network or server failure.
 */
export function flush({ fetchImpl = fetch } = {}) {
  return withLock('sos-outbox-flush', () => flushLocked(fetchImpl));
}

async function flushLocked(fetchImpl) {
  const summary = { sent: 0, waiting: 0, held: 0, offline: false, next_at: 0 };
  const later = (at) => {
    summary.waiting += 1;
    summary.next_at = summary.next_at ? Math.min(summary.next_at, at) : at;
  };
  let renewed = false;
  const users = [];
  for (const entry of await pending()) {
    if (entry.held) {
      summary.held += 1;
      continue;
    }
    if (summary.offline) {
      summary.waiting += 1;
      continue;
    }
    if (entry.retry_at > Date.now()) {
      later(entry.retry_at);
      continue;
    }
    if (entry.auth === 'user') {
      users.push(entry); // sent together after this loop
      continue;
    }
    let outcome;
    try {
      outcome = await send(entry, fetchImpl);
    } catch (error) {
      outcome = error instanceof HttpError ? error : new HttpError(0, 'network', String(error));
    }
    if (outcome instanceof HttpError && outcome.status === 401 && entry.auth === 'device' && !renewed) {
      // The server no longer knows this token (its key changed, the device was reset): one new
      // identity per flush, then this entry once more.
      renewed = true;
      await forgetDevice(outcome.token);
      try {
        outcome = await send(entry, fetchImpl);
      } catch (error) {
        outcome = error instanceof HttpError ? error : new HttpError(0, 'network', String(error));
      }
    }
    if (!(outcome instanceof HttpError)) {
      await acknowledge(entry);
      summary.sent += 1;
    } else if (outcome.isNetwork) {
      summary.offline = true;
      summary.waiting += 1;
    } else {
      const retryAt = await recordFailure(entry, outcome);
      if (retryAt) later(retryAt);
      else summary.held += 1;
    }
  }
  if (users.length) await sendUserBatch(users, fetchImpl, summary, later);
  return summary;
}

async function send(entry, fetchImpl) {
  if (entry.auth !== 'device') throw new HttpError(0, 'no_credentials', `unknown auth ${entry.auth}`);
  const device = await ensureDevice(fetchImpl);
  let response;
  try {
    // A report is a few hundred bytes: a minute without an answer is a dead link, not a slow one.
    const init = {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', Authorization: `Bearer ${device.token}` },
      body: entry.body,
      credentials: 'omit',
    };
    response = await timedFetch(fetchImpl, `/sync/${entry.name}`, init, 60_000);
  } catch {
    throw new HttpError(0, 'network', null);
  }
  if (response.status !== 200) {
    const error = await httpError(response);
    error.token = device.token;
    return error;
  }
  await response.arrayBuffer(); // the server's step 2: nothing a single-writer document lacks
  return true;
}

async function acknowledge(sent) {
  await transact(db(), ['outbox', 'acks'], 'readwrite', async ({ outbox, acks: store }) => {
    const current = await done(outbox.get(sent.name));
    // Written again while this revision was on its way: the newer one still has to go.
    if (current && current.rev === sent.rev) await done(outbox.delete(sent.name));
    const previous = await done(store.get(sent.name));
    await done(
      store.put({ name: sent.name, rev: sent.rev, meta: sent.meta, first_at: previous?.first_at ?? Date.now(), at: Date.now() }),
    );
  });
  announce({ type: 'sent', name: sent.name });
}

/** Store why an entry was not sent; returns when to retry it, or 0 when it waits for the user. */
async function recordFailure(sent, error) {
  const attempts = sent.attempts + 1;
  let retryAt = 0;
  if (error.status === 429) retryAt = Date.now() + 1000 * (error.retryAfter ?? 60);
  else if (error.status >= 500 || error.status === 408 || error.status === 401) {
    retryAt = Date.now() + BACKOFF_MS[Math.min(attempts, BACKOFF_MS.length) - 1];
  }
  const failure = {
    status: error.status,
    code: error.code,
    refusal: error.refusal ?? error.code,
    params: error.params ?? {},
    message: error.serverMessage,
    retry_after: error.retryAfter,
    at: Date.now(),
  };
  await transact(db(), ['outbox'], 'readwrite', async ({ outbox }) => {
    const current = await done(outbox.get(sent.name));
    if (!current) return;
    // A newer revision is judged on its own next time; this one's failure still informs the user.
    const held = !retryAt && current.rev === sent.rev;
    await done(outbox.put({ ...current, attempts, error: failure, held, retry_at: retryAt }));
  });
  announce({ type: 'failed', name: sent.name });
  return retryAt;
}

// -- police entries: one batch request ---------------------------------------------------------
async function sendUserBatch(entries, fetchImpl, summary, later) {
  if (summary.offline) {
    summary.waiting += entries.length;
    return;
  }
  const credential = await policeCredential();
  // Not signed in, or another officer's changes: they wait for their author to sign in again.
  const mine = entries.filter((e) => credential && String(e.meta?.user ?? credential.user_id) === credential.user_id);
  summary.held += entries.length - mine.length;
  for (const group of groups(mine, (e) => e.body.byteLength + e.name.length + 8)) {
    if (summary.offline) {
      summary.waiting += group.length;
      continue;
    }
    let response;
    try {
      const init = {
        method: 'POST',
        headers: { 'Content-Type': 'application/octet-stream', Authorization: `Bearer ${credential.token}` },
        body: encodeBatch(group.map((e) => [e.name, e.body])),
        credentials: 'omit',
      };
      response = await timedFetch(fetchImpl, '/sync', init, 60_000);
    } catch {
      summary.offline = true;
      summary.waiting += group.length;
      continue;
    }
    let results = null;
    let failure = null;
    if (response.status === 200) {
      try {
        results = decodeBatch(new Uint8Array(await response.arrayBuffer()));
      } catch {
        failure = new HttpError(502, 'malformed', 'unreadable batch answer'); // retried with backoff
      }
    } else {
      failure = await httpError(response);
    }
    const byName = new Map((results ?? []).map((r) => [r.name, r]));
    for (const entry of group) {
      const result = byName.get(entry.name);
      if (result?.status === 200) {
        await acknowledge(entry);
        summary.sent += 1;
        continue;
      }
      const error = result
        ? new HttpError(result.status, result.error?.error ?? 'http', result.error?.message ?? null, null,
          result.error?.code ?? null, result.error?.params ?? null)
        : (failure ?? new HttpError(502, 'malformed', 'missing from the batch answer'));
      const retryAt = await recordFailure(entry, error);
      if (retryAt) later(retryAt);
      else summary.held += 1;
    }
  }
}
