import { html } from 'htm/preact';
import { t } from '../i18n.js';
import { useOnline } from '../online.js';

/** Online/offline as a word and a shape, never colour alone. */
export function OnlineStatus() {
  const online = useOnline();
  return html`
    <p class=${online ? 'status status--online' : 'status status--offline'} role="status">
      <span class="status__dot" aria-hidden="true"></span>
      ${online ? t('common.online') : t('common.offline')}
    </p>
  `;
}
