// A failed HTTP call, as the server said it: every refusal is JSON `{error, code, params,
// message}` (and `retry_after` with a Retry-After header on 429): `error` the broad class, `code`
// the stable name the apps translate (docs/sync.md, "Refusal codes"), `message` English for
// developers. Safe in the service worker.

export class HttpError extends Error {
  /** `status` 0 means the request never got an answer (offline, DNS, server down). */
  constructor(status, code, message, retryAfter = null, refusal = null, params = null) {
    super(message ?? code);
    this.status = status;
    this.code = code; // the class: invalid, too_large, forbidden, ...
    this.refusal = refusal ?? code; // the precise code: description_too_long, ...
    this.params = params ?? {};
    this.serverMessage = message ?? null;
    this.retryAfter = retryAfter; // seconds
  }

  get isNetwork() {
    return this.status === 0;
  }
}

/** The HttpError of a non-2xx response. */
export async function httpError(response) {
  let data = null;
  try {
    data = await response.json();
  } catch {
    // a proxy's HTML error page, an empty body: the status still tells what happened
  }
  const header = Number(response.headers.get('Retry-After'));
  const retryAfter = Number.isFinite(header) && header > 0 ? header : (data?.retry_after ?? null);
  const error = new HttpError(
    response.status,
    data?.error ?? 'http',
    data?.message ?? null,
    retryAfter,
    typeof data?.code === 'string' ? data.code : null,
    data?.params && typeof data.params === 'object' ? data.params : null,
  );
  // The field a 422 names (`field`), so that a form says the refusal next to it.
  error.field = typeof data?.field === 'string' ? data.field : null;
  return error;
}
