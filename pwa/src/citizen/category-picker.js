import { html } from 'htm/preact';
import { t } from '../core/i18n.js';
import { CATEGORIES } from './categories.js';

/**
 * Four large tiles, built on native radio buttons: keyboard, screen readers and "one choice only"
 * come for free, and the whole tile is the touch target.
 */
export function CategoryPicker({ value, onChange }) {
  return html`
    <fieldset class="categories">
      <legend class="categories__question">${t('citizen.question')}</legend>
      <p class="categories__hint">${t('citizen.hint')}</p>
      <div class="categories__grid">
        ${CATEGORIES.map(({ code, icon }) => {
          const selected = code === value;
          return html`
            <label
              key=${code}
              class=${`category category--${code}${selected ? ' category--selected' : ''}`}
              data-category=${code}
            >
              <input
                class="visually-hidden"
                type="radio"
                name="category"
                value=${code}
                checked=${selected}
                onChange=${() => onChange(code)}
              />
              <span class="category__icon" aria-hidden="true">${icon}</span>
              <span class="category__label">${t(`citizen.categories.${code}.label`)}</span>
              <span class="category__hint">${t(`citizen.categories.${code}.hint`)}</span>
              ${selected && html`<span class="category__check">✓ ${t('citizen.selected')}</span>`}
            </label>
          `;
        })}
      </div>
    </fieldset>
  `;
}
