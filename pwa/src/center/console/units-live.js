// Where the units are, live: the server-sent stream GET /api/units/positions/live (a snapshot,
// then one event per officer whose position or availability changed). EventSource reconnects by
// itself after a drop and the server starts again with a full snapshot, so the console never has
// to guess what it missed. The session cookie set at sign-in authenticates it (same origin).
import { useEffect, useState } from 'preact/hooks';
import { getConfig } from '../../core/config.js';
import { distanceM } from '../../core/geo.js';
import { t } from './i18n.js';

const ON_DUTY = ['available', 'busy'];
// Used until /api/config answers; the server's settings are the truth (docs/positions.md).
const DEFAULTS = { stale_s: 120, speed_kmh: 20 };

const listeners = new Set();
let officers = new Map(); // username -> row
let source = null;
let users = 0;
export let positionSettings = DEFAULTS;

function tell() {
  const list = [...officers.values()];
  for (const fn of listeners) fn(list);
}

function take(row) {
  if (!row?.username) return;
  const current = officers.get(row.username);
  if (!ON_DUTY.includes(row.availability) || !Number.isFinite(row.lat)) {
    officers.delete(row.username);
  } else if (!current || !(row.at < current.at)) {
    officers.set(row.username, row); // an older fix (a late batch) never moves a marker back
  } else {
    officers.set(row.username, { ...current, availability: row.availability, incident: row.incident });
  }
}

function open() {
  getConfig().then((config) => {
    positionSettings = { ...DEFAULTS, ...(config?.positions ?? {}) };
    tell();
  });
  source = new EventSource('/api/units/positions/live');
  source.addEventListener('snapshot', (event) => {
    officers = new Map();
    for (const row of JSON.parse(event.data)) take(row);
    tell();
  });
  source.addEventListener('position', (event) => {
    take(JSON.parse(event.data));
    tell();
  });
}

/** The on-duty officers with a position, kept live while a component uses it. */
export function useUnitPositions() {
  const [list, setList] = useState(() => [...officers.values()]);
  useEffect(() => {
    listeners.add(setList);
    users += 1;
    if (!source) open();
    return () => {
      listeners.delete(setList);
      users -= 1;
      if (!users) {
        source?.close();
        source = null;
      }
    };
  }, []);
  return list;
}

/** Whether a fix is too old to trust for where the officer is now. */
/** How old a fix is, in words ("2 phút"): said with "vị trí … trước", never alone next to a travel time. */
export function fixAge(at, now = Date.now()) {
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 90 ? t('center.units_map.seconds', { n: s }) : t('center.units_map.minutes', { n: Math.round(s / 60) });
}

export function isStale(row, now = Date.now()) {
  return now - row.at > positionSettings.stale_s * 1000;
}

/**
 * The officers nearest `place` first, each with `distance` (m, straight line) and `eta_s`: that
 * distance at the city speed setting (a motorbike in city traffic; roads are longer than the
 * straight line and lights stop it, so this is a rough lower bound, said so on screen).
 */
export function nearest(list, place) {
  if (!place || !Number.isFinite(place.lat) || !Number.isFinite(place.lon)) return [];
  const speed = (positionSettings.speed_kmh * 1000) / 3600;
  return list
    .map((row) => {
      const distance = distanceM(place, row);
      return { ...row, distance, eta_s: distance / speed };
    })
    .sort((a, b) => a.distance - b.distance);
}
