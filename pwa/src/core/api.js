// The one way the apps talk JSON to the server. Failures become an ApiError carrying the server's
// own `error` code and `message`, so screens can show exactly what the server said.
import { getLang } from './i18n.js';

export class ApiError extends Error {
  /** `status` 0 means the request never got an answer (offline, DNS, server down). */
  constructor(status, code, message) {
    super(message ?? code);
    this.status = status;
    this.code = code;
    this.serverMessage = message;
  }

  get isNetwork() {
    return this.status === 0;
  }
}

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
    throw new ApiError(0, 'network', null);
  }
  const data = await readJson(response);
  if (!response.ok) throw new ApiError(response.status, data?.error ?? 'http', data?.message ?? null);
  return data;
}

async function readJson(response) {
  if (response.status === 204) return null;
  try {
    return await response.json();
  } catch {
    return null; // a proxy's HTML error page, an empty body: the status still tells what happened
  }
}
