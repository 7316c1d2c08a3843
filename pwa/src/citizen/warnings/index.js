// The warnings chunk (see entry.js): the model and its three screens.
import { html } from 'htm/preact';
import { AreasScreen } from './areas-screen.js';
import { WarningScreen } from './detail-screen.js';
import { WarningsListScreen } from './list-screen.js';

export { warnings } from './model.js';

export function WarningsScreens({ route }) {
  if (route.screen === 'warning-areas') return html`<${AreasScreen} />`;
  if (route.screen === 'warning') return html`<${WarningScreen} id=${route.id} key=${route.id} />`;
  return html`<${WarningsListScreen} />`;
}
