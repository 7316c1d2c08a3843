// The admin screens' data (docs: /api/admin/*): users paged and filtered by the server, the units
// with their user counts, one user's actions, and the CSV import with its upload progress.
import { request } from '../../../core/api.js';
import { getLang } from '../../../core/i18n.js';

export const PAGE = 50;
export const ROLES = ['officer', 'dispatcher', 'supervisor', 'admin'];
export const KINDS = ['command_center', 'department', 'ward'];
export const CSV_HEADER = 'username,display_name,role,unit,phone';

/** "Phường Tân Phú" matches "tan phu": no accents, no case, đ as d. */
export const fold = (text) => String(text ?? '').normalize('NFD').replace(/[\u0300-\u036f]/g, '')
  .replace(/[đĐ]/g, 'd').toLowerCase();

/** GET /api/admin/users with the screen's filters: `{users, total}`. */
export function listUsers(token, { q, unit, role, active, offset }) {
  const params = new URLSearchParams({ limit: String(PAGE), offset: String(offset ?? 0) });
  if (q?.trim()) params.set('q', q.trim());
  if (unit) params.set('unit', unit);
  if (role) params.set('role', role);
  if (active) params.set('active', active === 'active' ? '1' : '0');
  return request(`/api/admin/users?${params}`, { token });
}

export const listUnits = (token) => request('/api/admin/units', { token }).then((d) => d.units);

export const createUser = (token, body) => request('/api/admin/users', { method: 'POST', token, body });

/** POST /api/admin/users/{id}/<path>: disable, enable, reset-password, sessions/end, second-factor/reset. */
export const userAction = (token, id, path) =>
  request(`/api/admin/users/${encodeURIComponent(id)}/${path}`, { method: 'POST', token });

export const userSessions = (token, id) =>
  request(`/api/admin/users/${encodeURIComponent(id)}/sessions`, { token }).then((d) => d.sessions);

/**
 * POST the CSV file as it is (text/csv) to /api/admin/users/import. XMLHttpRequest rather than
 * fetch, for the upload's progress on a city's file. Resolves `{status, body}` for any answer
 * (the 422 with its rows is an answer to show, not a failure); rejects only when no answer came.
 */
export function uploadCsv(token, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/admin/users/import');
    xhr.setRequestHeader('Content-Type', 'text/csv');
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('Accept-Language', getLang());
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.upload.onload = () => onProgress(1);
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        // a proxy's page: the status still says what happened
      }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => reject(new Error('network'));
    xhr.send(file);
  });
}

/** A spreadsheet would run "=…" or "+…" as a formula: such a cell starts with a quote instead. */
function cell(value) {
  let text = String(value ?? '');
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The set-up links as a CSV file's text (made here in the browser: the server keeps none). */
export function linksCsv(credentials) {
  const lines = [['username', 'setup_url', 'expires']];
  for (const c of credentials) {
    // ms since the epoch (seconds, if a server sends those): an ISO date a person can read.
    const ms = Number.isFinite(c.expires) && c.expires < 1e11 ? c.expires * 1000 : c.expires;
    const expires = Number.isFinite(ms) ? new Date(ms).toISOString() : ms;
    lines.push([c.username, c.setup_url, expires]);
  }
  // A byte-order mark, so that Excel reads the Vietnamese names as UTF-8.
  return `\ufeff${lines.map((l) => l.map(cell).join(',')).join('\r\n')}\r\n`;
}
