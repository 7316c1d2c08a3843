// An incident's state, folded from its append-only logs exactly as the server does
// (core/incident-fold.js, the same module as the command center's, checked against
// app/incidents/state.py by tests/test_center_console.py), so the phone shows the same status
// offline as the command center does online. Nobody writes a shared status field; the rule, also
// shown on screen (officer.rule): closed / rejected / merged are dispatcher decisions; otherwise
// the furthest stage reached by any unit still assigned (dispatched < acknowledged < en route <
// on scene < resolved), so a late "en route" from an offline phone never moves an incident back
// and "resolved" wins.
import { STAGES } from '../core/incident-fold.js';

export { fold, isActive, stageOf, STAGES } from '../core/incident-fold.js';

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
