// The two answers to a warning. "Tôi an toàn" is counted for the center, kept on the phone and
// sent when there is a network; "Cần giúp đỡ" is counted too and opens the report screen with a
// report prepared for this warning (its category, linked by `warning`), located as usual.
import { html } from 'htm/preact';
import { t } from './i18n.js';
import { CATEGORIES } from '../../core/categories.js';
import { saveDraft } from '../report/draft.js';
import { go } from '../router.js';
import { warnings } from './model.js';
import { text } from './parts.js';

const OURS = new Set(CATEGORIES);

/** What became of this phone's answer, in words (`short`: for the list). */
export function AnswerState({ warning, short = false }) {
  const record = warnings.answerOf(warning);
  if (!record) return null;
  const answer = t(`citizen.warnings.answer.${record.answer}`);
  const state = t(`citizen.warnings.answer_state.${record.state}`);
  return html`<span class=${`w-answer-state w-answer-state--${record.state}`} data-answer-state=${record.state}
    role=${short ? undefined : 'status'}>${answer}: ${state}</span>`;
}

export async function needHelp(warning) {
  await warnings.answer(warning, 'need_help');
  saveDraft({
    category: OURS.has(warning.category) ? warning.category : 'other',
    warning: warning.id,
    warning_headline: text(warning, 'headline'),
  });
  go('/');
}

export function AnswerButtons({ warning }) {
  const chosen = warnings.answerOf(warning)?.answer ?? null;
  return html`
    <section class="w-answers" aria-labelledby="w-answers-heading">
      <h3 class="subheading" id="w-answers-heading">${t('citizen.warnings.answer_heading')}</h3>
      <div class="w-answers__buttons">
        <button type="button" class="button w-answer w-answer--safe" aria-pressed=${chosen === 'safe' ? 'true' : 'false'}
          onClick=${() => warnings.answer(warning, 'safe')}>
          <span aria-hidden="true" class="w-answer__mark">✓</span>${t('citizen.warnings.answer.safe')}
        </button>
        <button type="button" class="button w-answer w-answer--help" aria-pressed=${chosen === 'need_help' ? 'true' : 'false'}
          aria-describedby="w-help-hint" onClick=${() => needHelp(warning)}>
          <span aria-hidden="true" class="w-answer__mark">!</span>${t('citizen.warnings.answer.need_help')}
        </button>
      </div>
      <p class="field__hint" id="w-help-hint">${t('citizen.warnings.help_hint')}</p>
      <${AnswerState} warning=${warning} />
    </section>
  `;
}
