import { html } from 'htm/preact';
import { mount } from '../core/mount.js';
import { PoliceApp } from '../core/ui/police-app.js';
import { CenterHome } from './home.js';
import { OfficerRefusal } from './officer-refusal.js';
import { isStatsPath, StatsHome } from './stats/index.js';

// Officers work from the field app; the command center's queue is for the roles that triage.
const CENTER_ROLES = new Set(['dispatcher', 'supervisor', 'admin']);
const acceptsCenterRoles = (user) => CENTER_ROLES.has(user.role);

mount(
  () => html`
    <${PoliceApp}
      appKey="center"
      accepts=${acceptsCenterRoles}
      Home=${isStatsPath() ? StatsHome : CenterHome}
      Refused=${OfficerRefusal}
    />
  `,
  'center',
);
