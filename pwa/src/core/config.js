// Public settings from `GET /api/config` (the map's tile URL, the city's time zone, ...),
// remembered on the device so the app has them offline; a fresh copy is fetched in the background
// on each start (core/mount.js asks for it).
import { request } from './api.js';
import { setCityZone } from './time-format.js';

const STORAGE_KEY = 'sos.config';
let pending = null;

function stored() {
  try {
    return JSON.parse(localStorage.getItem(STORAGE_KEY)) ?? null;
  } catch {
    return null;
  }
}

/** The config: the stored copy at once if there is one, else the server's (null if offline). */
export function getConfig() {
  if (!pending) {
    pending = request('/api/config')
      .then((config) => {
        setCityZone(config?.timezone);
        try {
          localStorage.setItem(STORAGE_KEY, JSON.stringify(config));
        } catch {
          // not remembered; still used now
        }
        return config;
      })
      .catch(() => stored());
  }
  const copy = stored();
  return copy ? Promise.resolve(copy) : pending;
}
