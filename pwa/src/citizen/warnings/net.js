// The warnings' calls to the server. Public reads revalidate with the ETag kept on the phone
// (a 304 costs a few bytes on a phone asking at every start); a citizen device's calls carry its
// token, and a token the server no longer knows is replaced once and the call made again.
import { ensureDevice, forgetDevice } from '../../core/device.js';
import { HttpError, httpError } from '../../core/http-error.js';
import { timedFetch } from '../../core/timed-fetch.js';

/** `{status: 304}` or `{status: 200, body, etag}`; HttpError (status 0 offline) otherwise. */
export async function revalidate(path, etag) {
  const headers = { Accept: 'application/json' };
  if (etag) headers['If-None-Match'] = etag;
  let response;
  try {
    // no-store: the browser's HTTP cache must neither answer for the server nor hide the 304.
    response = await timedFetch(fetch, path, { headers, cache: 'no-store', credentials: 'omit' }, 20_000);
  } catch {
    throw new HttpError(0, 'network', null);
  }
  if (response.status === 304) return { status: 304 };
  if (!response.ok) throw await httpError(response);
  return { status: 200, body: await response.json(), etag: response.headers.get('ETag') };
}

/** A JSON call as this citizen device (made now if there is none yet). */
export async function asDevice(method, path, body, retried = false) {
  const device = await ensureDevice();
  let response;
  try {
    response = await timedFetch(fetch, path, {
      method,
      headers: { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: `Bearer ${device.token}` },
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'omit',
    });
  } catch {
    throw new HttpError(0, 'network', null);
  }
  if (response.status === 401 && !retried) {
    await forgetDevice(device.token);
    return asDevice(method, path, body, true);
  }
  if (!response.ok) throw await httpError(response);
  return response.json();
}
