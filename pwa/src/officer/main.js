import { html } from 'htm/preact';
import { mount } from '../core/mount.js';
import { PoliceApp } from '../core/ui/police-app.js';
import { OfficerHome } from './home.js';

// Every police role may use the field app: supervisors and admins go out on the street too.
const acceptsAnyPolice = () => true;

mount(() => html`<${PoliceApp} appKey="officer" accepts=${acceptsAnyPolice} Home=${OfficerHome} />`);
