// An incident's state folded from its append-only logs: the same rule as app/incidents/state.py,
// so the console shows what the server projects into its rows without waiting for them.
// tests/test_center_console.py runs this module in Node against the Python fold on the same cases.
//
// The rule for status, in order:
//   1. `closed` if the last close/reopen entry is a close;
//   2. `rejected` / `merged` if the last triage decision (verify, reject, merge, reopen) is that;
//   3. otherwise the furthest stage reached by any unit still assigned (dispatched < acknowledged
//      < en_route < on_scene < resolved);
//   4. otherwise `triaged` if verified, else `new`.
// Entries are ordered by their `at` (the writer's clock), ties in log order.

export const STAGES = ['dispatched', 'acknowledged', 'en_route', 'on_scene', 'resolved'];
export const OPEN_STATUSES = ['new', 'triaged', ...STAGES];
export const STAGE_FIELD = {
  dispatched: 'dispatched_at',
  acknowledged: 'acknowledged_at',
  en_route: 'en_route_at',
  on_scene: 'on_scene_at',
  resolved: 'cleared_at',
};
const TIMELINE_STAGE = new Set(['acknowledged', 'en_route', 'on_scene', 'resolved']);
const TRIAGE = new Set(['verify', 'reject', 'merge', 'reopen']);

function ordered(entries) {
  return entries
    .map((entry, index) => [Number(entry?.at ?? 0), index, entry])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .map(([, , entry]) => entry);
}

const toInt = (value) => (typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : null);

function assignment(unit, entry, at) {
  return {
    unit,
    dispatched_at: at,
    dispatched_by: String(entry.by),
    instructions: entry.instructions ?? null,
    acknowledged_at: null,
    en_route_at: null,
    on_scene_at: null,
    cleared_at: null,
    withdrawn_at: null,
  };
}

/** The furthest stage one assignment reached. */
export function stageOf(a) {
  for (let i = STAGES.length - 1; i >= 0; i -= 1) {
    if (a[STAGE_FIELD[STAGES[i]]] != null) return STAGES[i];
  }
  return 'dispatched';
}

export const isActive = (a) => a.withdrawn_at == null;

/** `{status, category, priority, triaged_at, ..., assignments: {unit: {...}}, messages}`. */
export function fold(info = {}, dispatch = [], timeline = []) {
  const state = {
    status: 'new',
    category: info.category ?? null,
    priority: toInt(info.priority),
    verified_at: null,
    triaged_at: null,
    rejected_reason: null,
    merged_into: null,
    closed_at: null,
    outcome: null,
    need_support_at: null,
    assignments: {},
    messages: [],
  };
  let decision = null;
  let closed = false;
  for (const entry of ordered(dispatch)) {
    const action = entry?.action;
    const at = Number(entry?.at ?? 0);
    if (TRIAGE.has(action)) {
      state.triaged_at = state.triaged_at || at;
      decision = action;
    }
    if (action === 'verify') {
      state.category = 'category' in entry ? entry.category : state.category;
      state.priority = toInt(entry.priority) || state.priority;
      state.verified_at = state.verified_at || at;
    } else if (action === 'reject') {
      state.rejected_reason = entry.reason ?? null;
    } else if (action === 'merge') {
      state.merged_into = entry.into ?? null;
    } else if (action === 'dispatch') {
      const unit = String(entry.unit);
      const current = state.assignments[unit];
      // A unit sent again after a withdrawal starts a fresh assignment.
      if (!current || !isActive(current)) state.assignments[unit] = assignment(unit, entry, at);
    } else if (action === 'withdraw') {
      const current = state.assignments[String(entry.unit)];
      if (current && isActive(current)) current.withdrawn_at = at;
    } else if (action === 'message') {
      state.messages.push({ id: entry.id, text: entry.text ?? '', at });
    } else if (action === 'close') {
      closed = true;
      state.closed_at = at;
      state.outcome = entry.outcome ?? null;
    } else if (action === 'reopen') {
      closed = false;
      state.closed_at = null;
      state.outcome = null;
      state.rejected_reason = null;
      state.merged_into = null;
    }
  }
  for (const entry of ordered(timeline)) {
    const kind = entry?.type;
    const at = Number(entry?.at ?? 0);
    if (kind === 'need_support') state.need_support_at = state.need_support_at || at;
    const a = state.assignments[String(entry?.unit)];
    if (!a || !TIMELINE_STAGE.has(kind)) continue;
    const field = STAGE_FIELD[kind];
    if (a[field] == null) a[field] = Math.max(at, a.dispatched_at || at);
  }
  if (info.silent) state.priority = 1; // a silent report stays P1 (app/incidents/state.py)
  state.status = statusOf(state, decision, closed);
  return state;
}

function statusOf(state, decision, closed) {
  if (closed) return 'closed';
  if (decision === 'reject') return 'rejected';
  if (decision === 'merge') return 'merged';
  const stages = Object.values(state.assignments)
    .filter(isActive)
    .map((a) => STAGES.indexOf(stageOf(a)));
  if (stages.length) return STAGES[Math.max(...stages)];
  return (decision === 'verify' || decision === 'reopen') && state.verified_at ? 'triaged' : 'new';
}

/** When the first unit was sent, and when the first still-assigned unit cleared (as the rows). */
export function firstDispatchedAt(state) {
  const times = Object.values(state.assignments).map((a) => a.dispatched_at).filter(Boolean);
  return times.length ? Math.min(...times) : null;
}

export function resolvedAt(state) {
  const times = Object.values(state.assignments)
    .filter((a) => a.cleared_at && isActive(a))
    .map((a) => a.cleared_at);
  return times.length ? Math.min(...times) : null;
}

/** Units assigned now (not withdrawn). */
export function activeUnits(state) {
  return Object.values(state.assignments).filter(isActive).map((a) => a.unit);
}
