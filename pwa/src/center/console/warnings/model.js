// The warnings screen's data: the police list polled while the screen is open, the wards, the
// draft body, and the expiry as the city's wall clock (docs/warnings.md, "For the apps").
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../../../core/api.js';
import { cityParts } from '../../../core/city-clock.js';

const POLL_MS = 5000;
export const HEADLINE_MAX = 160; // what a phone's notice and cell broadcast show (app/warnings/fields.py)
export const DEFAULT_HOURS = 6;

export const SEVERITIES = ['Extreme', 'Severe', 'Moderate', 'Minor'];
export const URGENCIES = ['Immediate', 'Expected', 'Future'];
export const CERTAINTIES = ['Observed', 'Likely', 'Possible'];
// The app's report categories first, then the CAP words a police warning may need on its own.
export const CATEGORIES = ['fire', 'crime', 'traffic', 'Met', 'Health', 'Safety', 'Infra', 'Env', 'other'];

/** `{items, failed, refresh}`: GET /api/warnings?all=1 every 5 s while mounted. */
export function useWarnings(token) {
  const [state, setState] = useState({ items: null, failed: false });
  const timer = useRef(null);
  const alive = useRef(true);

  async function load() {
    clearTimeout(timer.current);
    try {
      const data = await request('/api/warnings?all=1&limit=200', { token });
      if (alive.current) setState({ items: data.warnings, failed: false });
    } catch {
      if (alive.current) setState((s) => ({ ...s, failed: true }));
    }
    if (alive.current) timer.current = setTimeout(load, POLL_MS);
  }

  useEffect(() => {
    alive.current = true;
    load();
    return () => {
      alive.current = false;
      clearTimeout(timer.current);
    };
  }, []);
  return { ...state, refresh: load };
}

let wardsLoad = null;

/** Every ward `{code, name}`, once per page. */
export function loadWards() {
  wardsLoad ??= request('/api/warnings/wards').then((d) => d.wards).catch((error) => {
    wardsLoad = null;
    throw error;
  });
  return wardsLoad;
}

let shapesLoad = null;

/** The ward boundaries (GeoJSON), once per page. */
export function loadShapes() {
  shapesLoad ??= request('/api/warnings/wards.geojson').catch((error) => {
    shapesLoad = null;
    throw error;
  });
  return shapesLoad;
}

/** "2026-12-07T20:30": `ms` as a datetime-local value on the city's clock. */
export function toLocalInput(ms) {
  const p = cityParts(ms);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

/** The instant a datetime-local value names on the city's clock (null if it is not one). */
export function fromLocalInput(value) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(value ?? '');
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]);
  // The zone's offset at that moment: read the guess back on the city's clock and correct by
  // the difference (twice, for a guess that lands across a change of offset).
  let at = wall;
  for (let i = 0; i < 2; i += 1) {
    const p = cityParts(at);
    const shown = Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute);
    at += wall - shown;
  }
  return at;
}

/** The empty form, or one filled from a warning to update. */
export function formFrom(warning, now = Date.now()) {
  if (!warning) {
    return {
      all: false, wards: [], category: '', severity: '', urgency: '', certainty: '',
      headline: '', description: '', instruction: '', headline_en: '', description_en: '',
      instruction_en: '', expires: toLocalInput(now + DEFAULT_HOURS * 3600_000), exercise: false,
    };
  }
  return {
    all: warning.all_city,
    wards: warning.wards.map((w) => w.code),
    category: warning.category,
    severity: warning.severity,
    urgency: warning.urgency,
    certainty: warning.certainty,
    headline: warning.headline ?? '',
    description: warning.description ?? '',
    instruction: warning.instruction ?? '',
    headline_en: warning.headline_en ?? '',
    description_en: warning.description_en ?? '',
    instruction_en: warning.instruction_en ?? '',
    expires: toLocalInput(Math.max(warning.expires ?? 0, now + DEFAULT_HOURS * 3600_000)),
    exercise: Boolean(warning.exercise),
  };
}

/** The JSON body of POST /api/warnings (and of an update). Empty choices are left for the server to refuse. */
export function bodyOf(form) {
  const body = {
    wards: form.all ? 'all' : form.wards,
    category: form.category || null,
    severity: form.severity || null,
    urgency: form.urgency || null,
    certainty: form.certainty || null,
    headline: form.headline,
    description: form.description,
    expires: fromLocalInput(form.expires),
    exercise: form.exercise,
  };
  for (const name of ['instruction', 'headline_en', 'description_en', 'instruction_en']) {
    if (form[name].trim()) body[name] = form[name];
  }
  return body;
}

export const send = (path, token, body) => request(path, { method: 'POST', token, body });
