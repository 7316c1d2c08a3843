import { HttpError } from '../http-error.js';
import { getLang, t } from '../i18n.js';

// Server messages are English. A refusal's precise code (`errors.refusal.<code>`, docs/sync.md)
// or else its class (`errors.codes.<class>`) has words of its own in each language; the English
// message is added as a detail only for an English reader (never English inside Vietnamese).
const KNOWN = new Set([
  'bad_credentials',
  'locked',
  'rate_limited',
  'forbidden',
  'unauthenticated',
  'invalid',
  'too_large',
  'cross_origin',
  'server_error',
]);
const WITH_DETAIL = new Set(['invalid', 'too_large']);

/** "in 5 minutes" / "trong 5 phút": how long to wait, from a Retry-After in seconds. */
export function describeWait(seconds) {
  if (!seconds || seconds < 1) return t('errors.wait.soon');
  if (seconds < 90) return t('errors.wait.seconds', { n: Math.ceil(seconds) });
  if (seconds < 5400) return t('errors.wait.minutes', { n: Math.ceil(seconds / 60) });
  return t('errors.wait.hours', { n: Math.ceil(seconds / 3600) });
}

/**
 * What to tell the user about a failed request. Accepts an HttpError, or the plain
 * `{status, code, refusal, params, message, retry_after}` the offline queue stores.
 */
export function describeError(error) {
  const failure =
    error instanceof HttpError
      ? { status: error.status, code: error.code, refusal: error.refusal, params: error.params, message: error.serverMessage, wait: error.retryAfter }
      : error && typeof error.status === 'number'
        ? { status: error.status, code: error.code, refusal: error.refusal, params: error.params, message: error.message, wait: error.retry_after }
        : null;
  if (!failure) {
    console.error(error);
    return t('errors.http', { status: '?' });
  }
  if (failure.status === 0) return t('errors.network');
  const precise = refusalText(failure.refusal ?? failure.code, failure.params);
  if (precise) return precise;
  const code = failure.code === 'http' && failure.status >= 500 ? 'server_error' : failure.code;
  if (KNOWN.has(code)) {
    const text = t(`errors.codes.${code}`, { wait: describeWait(failure.wait) });
    const detail = WITH_DETAIL.has(code) && failure.message && getLang() === 'en';
    return detail ? `${text} (${failure.message})` : text;
  }
  if (failure.status >= 500) return t('errors.http', { status: failure.status });
  if (failure.message && getLang() === 'en') return failure.message;
  return t('errors.refused', { status: failure.status });
}

/** The sentence of a precise refusal code, or null when this app has none for it. */
export function refusalText(code, params = {}) {
  if (!code) return null;
  const key = `errors.refusal.${code}`;
  const text = t(key, params ?? {});
  return text === key ? null : text;
}

/** Whether sending the same thing again can never succeed (the user must change it, or drop it). */
export function refusedForGood(failure) {
  return Boolean(failure) && failure.status >= 400 && failure.status < 500 && ![401, 408, 429].includes(failure.status);
}
