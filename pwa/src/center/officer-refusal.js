import { html } from 'htm/preact';
import { t } from '../core/i18n.js';

/**
 * An officer signed in at the command center. The session is kept (it is shared with the officer
 * app on this origin), so the button below lands them in their own app already signed in.
 */
export function OfficerRefusal({ onSignOut }) {
  return html`
    <section class="card">
      <p class="form-error" role="alert">${t('center.officer_refused')}</p>
      <a class="button button--primary button--block" href="/officer/">
        ${t('center.open_officer_app')}
      </a>
      <button type="button" class="button button--secondary" onClick=${onSignOut}>
        ${t('police.sign_out')}
      </button>
    </section>
  `;
}
