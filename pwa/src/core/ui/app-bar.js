import { html } from 'htm/preact';
import { t } from '../i18n.js';
import { LanguageSwitch } from './language-switch.js';
import { OnlineStatus } from './online-status.js';

/** The coloured bar on top of every screen: the name, which app this is, network and language. */
export function AppBar({ title }) {
  return html`
    <header class="app-bar">
      <h1 class="app-bar__name">
        ${t('common.app_name')}
        <span class="app-bar__title">${title}</span>
      </h1>
      <div class="app-bar__tools">
        <${OnlineStatus} />
        <${LanguageSwitch} />
      </div>
    </header>
  `;
}
