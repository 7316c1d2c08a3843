// One incident as the screens show it: the inbox summary, the incident and report documents, the
// state folded from the logs (state.js) and what of it is still waiting in the queue.
import { fold, isActive, stageOf } from './state.js';

export function incidentView(model, id) {
  const summary = model.summaries()[id] ?? null;
  const pair = model.docs.get(id);
  const incident = pair?.incident?.getMap('incident').toJSON() ?? {};
  const report = pair?.report?.getMap('report').toJSON() ?? {};
  if (!summary && !pair) return null;
  const info = incident.info ?? null;
  const dispatch = incident.dispatch ?? [];
  const timeline = incident.timeline ?? [];
  const state = info ? fold(info, dispatch, timeline) : null;
  const held = state?.assignments[model.unit];
  const mine = held && isActive(held) ? held : null; // this unit's assignment, if still assigned
  const pendingIds = model.pendingIds(id);
  const queued = model.queue.get(`incident/${id}`) ?? null;
  const log = [
    ...dispatch.map((e, i) => ({ ...e, log: 'dispatch', kind: e.action, order: i })),
    ...timeline.map((e, i) => ({ ...e, log: 'timeline', kind: e.type, order: i })),
  ]
    .filter((e) => e.kind !== 'created' || e.log === 'dispatch')
    .map((e) => ({ ...e, pending: pendingIds.has(e.id) }))
    .sort((a, b) => Number(a.at) - Number(b.at) || (a.log === b.log ? a.order - b.order : a.log === 'dispatch' ? -1 : 1));
  const location = info ?? summary ?? {};
  return {
    id,
    listed: Boolean(summary),
    loaded: Boolean(info),
    refused: model.refused.get(id) ?? null,
    category: state?.category ?? summary?.category ?? report.category ?? 'other',
    priority: Number(state?.priority ?? summary?.priority ?? 3),
    status: state?.status ?? summary?.status ?? 'new',
    arrived_at: Number(info?.arrived_at ?? summary?.arrived_at ?? 0),
    ward_name: location.ward_name ?? '',
    ward_unit: info?.ward_unit ?? null,
    lat: typeof location.lat === 'number' ? location.lat : null,
    lon: typeof location.lon === 'number' ? location.lon : null,
    outside: Boolean(location.outside),
    summary: summary?.summary ?? (report.description ?? '').slice(0, 140),
    description: report.description ?? null,
    contact: report.contact ?? null,
    silent: report.silent === true, // issue 29: no call; `track` is the live location
    track: Array.isArray(report.track) ? report.track : [],
    media: report.media ?? [],
    messages: report.messages ?? [],
    assigned: state ? Boolean(mine) : Boolean(summary?.assigned),
    stage: mine ? stageOf(mine) : null,
    times: mine
      ? { acknowledged: mine.acknowledged_at, en_route: mine.en_route_at, on_scene: mine.on_scene_at, resolved: mine.cleared_at }
      : {},
    instructions: dispatch.filter((e) => e.action === 'dispatch' && e.unit === model.unit && e.instructions),
    need_support: state ? state.need_support_at != null : Boolean(summary?.need_support),
    log,
    pending: pendingIds.size,
    held: Boolean(queued?.held),
    failure: queued?.error ?? null,
  };
}
