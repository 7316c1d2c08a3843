// The queue's order and filters: plain functions of the inbox summaries.
//
// Order, as a dispatcher reads a queue: what is OVERDUE comes first (escalated by the server,
// an officer asking for support, or a report past the triage limit by this console's clock,
// before the server's timer has even run), then the highest priority (P1 first), then the
// OLDEST first — the report that has waited longest is the one most at risk. Newest first put
// a knife report 11 minutes overdue below reports 1–5 minutes old. An untriaged report needs
// no tier of its own: past the triage limit it is overdue and rises with the others.
// The console's legend says this order in words (center.queue.order).

export const STATUS_FILTERS = ['new', 'triaged', 'dispatched', 'in_progress', 'resolved'];
const IN_PROGRESS = new Set(['acknowledged', 'en_route', 'on_scene']);
export const PRIORITIES = [1, 2, 3];

export const isEscalated = (item) => Boolean(item.escalation) || Boolean(item.need_support);

/** Past the triage limit and still untriaged, by this console's clock (`timers` may be null). */
export function isTriageLate(item, now, timers) {
  return item.status === 'new' && Boolean(timers) && now - item.arrived_at > timers.triage_timeout_s * 1000;
}

export const isOverdue = (item, now, timers) => isEscalated(item) || isTriageLate(item, now, timers);

/** A comparator for the queue at time `now` (ms) under the server's `timers` limits. */
export function queueOrder(now = Date.now(), timers = null) {
  return (a, b) =>
    Number(isOverdue(b, now, timers)) - Number(isOverdue(a, now, timers)) ||
    (a.priority ?? 3) - (b.priority ?? 3) ||
    (a.arrived_at ?? 0) - (b.arrived_at ?? 0) ||
    String(a.id).localeCompare(String(b.id));
}

export function statusGroup(status) {
  return IN_PROGRESS.has(status) ? 'in_progress' : status;
}

export const EMPTY_FILTERS = { statuses: [], categories: [], priorities: [], ward: '' };

export function isFiltered(filters) {
  return Boolean(
    filters.statuses.length || filters.categories.length || filters.priorities.length || filters.ward,
  );
}

export function matches(item, filters) {
  if (filters.statuses.length && !filters.statuses.includes(statusGroup(item.status))) return false;
  if (filters.categories.length && !filters.categories.includes(item.category)) return false;
  if (filters.priorities.length && !filters.priorities.includes(Number(item.priority))) return false;
  if (filters.ward && String(item.ward_code ?? 'none') !== filters.ward) return false;
  return true;
}

/** The wards present in the queue, for the ward filter: [{code, name, count}] by name. */
export function wardsOf(items) {
  const wards = new Map();
  for (const item of items) {
    const code = String(item.ward_code ?? 'none');
    const ward = wards.get(code) ?? { code, name: item.ward_name ?? null, count: 0 };
    ward.count += 1;
    wards.set(code, ward);
  }
  return [...wards.values()].sort((a, b) => String(a.name ?? '~').localeCompare(String(b.name ?? '~'), 'vi'));
}

export function toggle(list, value) {
  return list.includes(value) ? list.filter((v) => v !== value) : [...list, value];
}
