import { ApiError } from '../api.js';
import { t } from '../i18n.js';

/** What to tell the user about a failed request: the server's own words when it gave some. */
export function describeError(error) {
  if (error instanceof ApiError) {
    if (error.isNetwork) return t('errors.network');
    if (error.serverMessage) return error.serverMessage;
    return t('errors.http', { status: error.status });
  }
  console.error(error);
  return t('errors.http', { status: '?' });
}
