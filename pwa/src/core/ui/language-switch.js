import { html } from 'htm/preact';
import { getLang, LANGUAGES, setLang, t } from '../i18n.js';

/**
 * "VI" and "EN", each named by its text and then the language's own name ("VI Tiếng Việt"): a
 * name that contains what is shown, so that saying "click EN" works for speech input (an
 * aria-label of "English" alone hid the visible "EN", WCAG 2.5.3).
 */
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
            aria-pressed=${code === current ? 'true' : 'false'}
            onClick=${() => setLang(code)}
          >
            ${short}<span class="visually-hidden"> ${label}</span>
          </button>
        `,
      )}
    </div>
  `;
}
