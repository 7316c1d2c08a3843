// The one way the apps talk JSON to the server. Failures become an ApiError carrying the server's
// own `error` code and `message` (and Retry-After), so screens can say exactly what happened.
import { getLang } from './i18n.js';
import { HttpError, httpError } from './http-error.js';

export { HttpError as ApiError };

export async function request(path, { method = 'GET', body, token } = {}) {
  const headers = { Accept: 'application/json', 'Accept-Language': getLang() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch {
    throw new HttpError(0, 'network', null);
  }
  if (!response.ok) throw await httpError(response);
  if (response.status === 204) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}
