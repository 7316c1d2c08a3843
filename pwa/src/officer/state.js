// An incident's state, folded from its append-only logs exactly as the server does
// (app/incident_state.py), so the phone shows the same status offline as the command center does
// online. Nobody writes a shared status field; the rule, also shown on screen (officer.rule):
//   closed / rejected / merged are dispatcher decisions; otherwise the furthest stage reached by
//   any unit still assigned (dispatched < acknowledged < en route < on scene < resolved), so a
//   late "en route" from an offline phone never moves an incident back and "resolved" wins.
// Entries are taken in the order of their `at` (the writer's clock), ties in log order.

export const STAGES = ['dispatched', 'acknowledged', 'en_route', 'on_scene', 'resolved'];
export const STEP_FIELD = {
  dispatched: 'dispatched_at',
  acknowledged: 'acknowledged_at',
  en_route: 'en_route_at',
  on_scene: 'on_scene_at',
  resolved: 'cleared_at',
};
const DECISIONS = new Set(['verify', 'reject', 'merge', 'reopen']);

const ordered = (entries) =>
  entries
    .map((entry, index) => [entry, index])
    .sort((a, b) => Number(a[0].at ?? 0) - Number(b[0].at ?? 0) || a[1] - b[1])
    .map(([entry]) => entry);

export function stageOf(assignment) {
  for (let i = STAGES.length - 1; i >= 0; i -= 1) {
    if (assignment[STEP_FIELD[STAGES[i]]] != null) return STAGES[i];
  }
  return 'dispatched';
}

/** `{status, category, priority, assignments: Map(unit → {...times, instructions, active}), need_support_at}` */
export function fold(info = {}, dispatch = [], timeline = []) {
  const state = {
    status: 'new',
    category: info.category ?? null,
    priority: info.priority ?? null,
    verified: false,
    need_support_at: null,
    assignments: new Map(),
  };
  let decision = null;
  let closed = false;
  for (const entry of ordered(dispatch)) {
    const { action } = entry;
    const at = Number(entry.at ?? 0);
    if (DECISIONS.has(action)) decision = action;
    if (action === 'verify') {
      state.category = entry.category ?? state.category;
      state.priority = entry.priority ?? state.priority;
      state.verified = true;
    } else if (action === 'dispatch') {
      const current = state.assignments.get(entry.unit);
      // A unit sent again after a withdrawal starts a fresh assignment.
      if (!current || !current.active) {
        state.assignments.set(entry.unit, {
          unit: entry.unit,
          dispatched_at: at,
          instructions: entry.instructions || '',
          active: true,
        });
      }
    } else if (action === 'withdraw') {
      const current = state.assignments.get(entry.unit);
      if (current?.active) {
        current.active = false;
        current.withdrawn_at = at;
      }
    } else if (action === 'close') {
      closed = true;
    } else if (action === 'reopen') {
      closed = false;
    }
  }
  for (const entry of ordered(timeline)) {
    const at = Number(entry.at ?? 0);
    if (entry.type === 'need_support') state.need_support_at ??= at;
    const assignment = state.assignments.get(entry.unit);
    const field = entry.type !== 'dispatched' && STEP_FIELD[entry.type];
    if (assignment && field && assignment[field] == null) {
      assignment[field] = Math.max(at, assignment.dispatched_at ?? at);
    }
  }
  const active = [...state.assignments.values()].filter((a) => a.active);
  if (closed) state.status = 'closed';
  else if (decision === 'reject') state.status = 'rejected';
  else if (decision === 'merge') state.status = 'merged';
  else if (active.length) state.status = STAGES[Math.max(...active.map((a) => STAGES.indexOf(stageOf(a))))];
  else state.status = (decision === 'verify' || decision === 'reopen') && state.verified ? 'triaged' : 'new';
  return state;
}

/**
 * The progress buttons for a unit at `stage`: the next step is the main one; skipping "en route"
 * (already there) is allowed, resolving only once someone is on the way or there.
 */
export function nextSteps(stage) {
  const at = STAGES.indexOf(stage);
  return {
    acknowledged: at < 1 ? 'next' : 'done',
    en_route: at >= 2 ? 'done' : at === 1 ? 'next' : 'off',
    on_scene: at >= 3 ? 'done' : at === 2 ? 'next' : at === 1 ? 'later' : 'off',
    resolved: at >= 4 ? 'done' : at === 3 ? 'next' : at === 2 ? 'later' : 'off',
  };
}
