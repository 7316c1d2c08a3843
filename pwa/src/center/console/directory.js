// What the console looks up once and keeps: units, the timers' limits, the officers' availability.
import { ApiError, request } from '../../core/api.js';

let units = null;
let timers = null;
let officersMissing = false;

/** Map code -> unit row (`GET /api/units`), fetched once per page. */
export function loadUnits(token) {
  if (!units) {
    units = request('/api/units', { token })
      .then(({ units: rows }) => new Map(rows.map((u) => [u.code, u])))
      .catch((error) => {
        units = null; // try again on the next call
        throw error;
      });
  }
  return units;
}

const DEFAULT_TIMERS = { triage_timeout_s: 60, ack_timeout_s: 120 };

/** The server's escalation limits (`GET /api/incidents/timers`), so countdowns end when it acts. */
export function loadTimers(token) {
  if (!timers) {
    timers = request('/api/incidents/timers', { token }).catch(() => {
      timers = null;
      return DEFAULT_TIMERS;
    });
  }
  return timers;
}

/**
 * The officers of a unit with their availability (`GET /api/officers?unit=`), or null when the
 * server has no such endpoint (404: not deployed yet) — the picker then leaves the column out.
 */
export async function loadOfficers(token, unit) {
  if (officersMissing) return null;
  try {
    const body = await request(`/api/officers?unit=${encodeURIComponent(unit)}`, { token });
    return Array.isArray(body) ? body : (body?.officers ?? []);
  } catch (error) {
    // Only codes from GET /api/units are asked for, so a 404 means the route itself is missing.
    if (error instanceof ApiError && error.status === 404) {
      officersMissing = true;
      return null;
    }
    throw error;
  }
}

export const officersAvailable = () => !officersMissing;
