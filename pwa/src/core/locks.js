// Mutual exclusion across the pages and the service worker of this origin (Web Locks), so that a
// page and the worker never send the same queue, or make two device identities, at the same time.
// Where Web Locks are missing (Safari before 15.4) a lock only covers this context: the server's
// idempotence (CRDT updates) is what keeps a double send harmless there.

const local = new Map(); // name -> tail of the chain of holders in this context

export function withLock(name, fn) {
  const locks = globalThis.navigator?.locks;
  if (locks?.request) return locks.request(name, () => fn());
  const previous = local.get(name) ?? Promise.resolve();
  const run = previous.then(fn, fn);
  const tail = run.catch(() => {});
  local.set(name, tail);
  tail.then(() => {
    if (local.get(name) === tail) local.delete(name);
  });
  return run;
}
