import { HttpError } from '../http-error.js';
import { t } from '../i18n.js';

// Server messages are English; these codes have words of their own in each language. The
// server's message is kept as the detail where it says which field or limit (invalid, too_large).
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
 * `{status, code, message, retry_after}` the offline queue stores.
 */
export function describeError(error) {
  const failure =
    error instanceof HttpError
      ? { status: error.status, code: error.code, message: error.serverMessage, wait: error.retryAfter }
      : error && typeof error.status === 'number'
        ? { status: error.status, code: error.code, message: error.message, wait: error.retry_after }
        : null;
  if (!failure) {
    console.error(error);
    return t('errors.http', { status: '?' });
  }
  if (failure.status === 0) return t('errors.network');
  const code = failure.code === 'http' && failure.status >= 500 ? 'server_error' : failure.code;
  if (KNOWN.has(code)) {
    const text = t(`errors.codes.${code}`, { wait: describeWait(failure.wait) });
    return WITH_DETAIL.has(code) && failure.message ? `${text} (${failure.message})` : text;
  }
  if (failure.message) return failure.message;
  return t('errors.http', { status: failure.status });
}
