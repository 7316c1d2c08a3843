// One open incident on the console: its `incident/<id>` document (the server's info, the
// dispatchers' and officers' logs) and the citizen's `report/<id>`, both followed live. Opening
// them is a police read, which the server writes to the audit log.
import { useEffect, useState } from 'preact/hooks';
import { LiveDoc } from '../live-doc.js';
import { fold } from '../../../core/incident-fold.js';
import { Observable } from '../../../core/observable.js';
import { IncidentWriter } from './writer.js';

export class IncidentModel extends Observable {
  constructor(id, { token, user }) {
    super();
    this.id = id;
    this.status = { incident: 'connecting', report: 'connecting' };
    this.denied = null;
    this.userId = String(user.id);
    const me = { user: { id: this.userId, name: user.username } };
    this.incident = new LiveDoc(`incident/${id}`, {
      token,
      awareness: me, // who else has it open: two dispatchers should not triage it twice
      onStatus: (status, detail) => this.setStatus('incident', status, detail),
    });
    this.report = new LiveDoc(`report/${id}`, {
      token,
      onStatus: (status, detail) => this.setStatus('report', status, detail),
    });
    this.writer = new IncidentWriter(this.incident, token);
    this.incident.ready.then(() => {
      this.incident.doc.on('update', () => this.changed());
      this.incident.provider?.awareness.on('change', () => this.changed());
    });
    this.report.ready.then(() => this.report.doc.on('update', () => this.changed()));
  }

  setStatus(which, status, detail) {
    this.status = { ...this.status, [which]: status };
    if (status === 'denied') this.denied = detail;
    this.changed();
  }

  /** Plain data for the screen: `{info, dispatch, timeline, state, report, viewers}`. */
  view() {
    const root = this.incident.doc.getMap('incident');
    const info = root.get('info') ?? null;
    const dispatch = root.get('dispatch')?.toArray() ?? [];
    const timeline = root.get('timeline')?.toArray() ?? [];
    const report = this.report.doc.getMap('report').toJSON();
    const viewers = [];
    const awareness = this.incident.provider?.awareness;
    if (awareness) {
      for (const [client, state] of awareness.getStates()) {
        // Someone else: this person's other tabs do not count.
        if (client !== awareness.clientID && state?.user?.name && state.user.id !== this.userId) {
          viewers.push(state.user);
        }
      }
    }
    return {
      info,
      dispatch,
      timeline,
      state: info ? fold(info, dispatch, timeline) : null,
      report: Object.keys(report).length ? report : null,
      viewers: dedupe(viewers),
      ready: Boolean(info) && root.get('dispatch') !== undefined,
    };
  }

  destroy() {
    this.incident.destroy();
    this.report.destroy();
    this.listeners.clear();
  }
}

function dedupe(users) {
  const byId = new Map(users.map((u) => [u.id, u]));
  return [...byId.values()];
}

/** The model of incident `id` while a component shows it (null id: none). */
export function useIncident(id, session) {
  const [model, setModel] = useState(null);
  const [, setVersion] = useState(0);
  useEffect(() => {
    if (!id) {
      setModel(null);
      return undefined;
    }
    const next = new IncidentModel(id, session);
    setModel(next);
    const off = next.subscribe(setVersion);
    return () => {
      off();
      next.destroy();
    };
  }, [id, session.token]);
  return model && model.id === id ? model : null;
}
