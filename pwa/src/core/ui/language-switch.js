import { html } from 'htm/preact';
import { getLang, LANGUAGES, setLang, t } from '../i18n.js';

export function LanguageSwitch() {
  const current = getLang();
  return html`
    <div class="lang-switch" role="group" aria-label=${t('common.language')}>
      ${LANGUAGES.map(
        ({ code, label, short }) => html`
          <button
            type="button"
            class="lang-switch__option"
            lang=${code}
            aria-label=${label}
            aria-pressed=${code === current ? 'true' : 'false'}
            onClick=${() => setLang(code)}
          >
            ${short}
          </button>
        `,
      )}
    </div>
  `;
}
