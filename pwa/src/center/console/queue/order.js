// The queue's order and filters: plain functions of the inbox summaries.
//
// Order: what needs a dispatcher now comes first — escalated incidents and officers asking for
// support, then reports nobody has triaged yet — and within each group the highest priority
// (P1) first, then the newest. So a fresh P3 report is still above a P1 already under way, and
// an old untriaged one is raised again by the server's escalation after the triage limit.

export const STATUS_FILTERS = ['new', 'triaged', 'dispatched', 'in_progress', 'resolved'];
const IN_PROGRESS = new Set(['acknowledged', 'en_route', 'on_scene']);
export const CATEGORIES = ['crime', 'traffic', 'fire', 'other'];
export const PRIORITIES = [1, 2, 3];

export const isEscalated = (item) => Boolean(item.escalation) || Boolean(item.need_support);

function group(item) {
  if (isEscalated(item)) return 0;
  if (item.status === 'new') return 1;
  return 2;
}

export function compareItems(a, b) {
  return (
    group(a) - group(b) ||
    (a.priority ?? 3) - (b.priority ?? 3) ||
    (b.arrived_at ?? 0) - (a.arrived_at ?? 0) ||
    String(a.id).localeCompare(String(b.id))
  );
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
