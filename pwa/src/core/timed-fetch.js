// fetch() with a deadline. On a weak 3G link a request can hang for minutes, holding the send
// lock and keeping the report "sending" with no end; after the deadline it counts as no answer
// and is retried like one. Safe in the service worker.

export async function timedFetch(fetchImpl, url, init = {}, ms = 30_000) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), ms);
  try {
    return await fetchImpl(url, { ...init, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}
