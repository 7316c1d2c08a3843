// One warning: what to do first (the instruction, then the two answers), then what is happening,
// where (in words and on a small map) and until when. Opened from the list or from a notice
// (`#/warnings/ID`), also for a message no longer in force: it then says so.
import { html } from 'htm/preact';
import { useEffect } from 'preact/hooks';
import { t } from './i18n.js';
import { formatTime } from '../format.js';
import { AnswerButtons } from './answers.js';
import { AreaMap } from './area-map.js';
import { ExerciseTag, SeverityBadge, areaWords, endedWords, text, until, useWarnings } from './parts.js';

function Missing({ state }) {
  return html`<p class="notice" role="alert">${t(state === 'offline' ? 'citizen.warnings.missing_offline' : 'citizen.warnings.missing')}</p>`;
}

export function WarningScreen({ id }) {
  const model = useWarnings();
  const warning = model.find(id);
  // Not in the list kept here: asked for (a cancelled one, or the list is not loaded yet).
  useEffect(() => {
    model.start().then(() => !model.find(id) && model.fetchOne(id));
  }, [id, model.list?.at]);

  const back = html`<a class="w-back" href="#/warnings">← ${t('citizen.warnings.all')}</a>`;
  if (!warning) return html`<div class="warning">${back}<p class="muted">${t('citizen.warnings.loading')}</p></div>`;
  if (warning.missing) return html`<div class="warning">${back}<${Missing} state=${warning.missing} /></div>`;

  const ended = endedWords(warning);
  return html`
    <article class="warning" data-warning=${warning.id} aria-labelledby="w-headline">
      ${back}
      ${ended && html`<p class="notice w-ended" role="alert" data-ended=${warning.status}>${ended}
        ${warning.status === 'superseded' && warning.replaced_by && html` <a href=${`#/warnings/${warning.replaced_by}`}>${t('citizen.warnings.see_update')}</a>`}</p>`}
      <p class="w-item__tags"><${SeverityBadge} warning=${warning} /><${ExerciseTag} warning=${warning} /></p>
      <h2 class="screen-heading" id="w-headline">${text(warning, 'headline')}</h2>
      <p class="w-meta"><strong>${areaWords(warning)}</strong><br />${until(warning)}</p>
      ${text(warning, 'instruction') && html`
        <section class="w-instruction" aria-labelledby="w-instruction-heading">
          <h3 class="w-instruction__heading" id="w-instruction-heading">${t('citizen.warnings.instruction_heading')}</h3>
          <p>${text(warning, 'instruction')}</p>
        </section>`}
      ${!ended && html`<${AnswerButtons} warning=${warning} />`}
      <section class="w-section" aria-labelledby="w-what-heading">
        <h3 class="subheading" id="w-what-heading">${t('citizen.warnings.what_heading')}</h3>
        <p class="w-description">${text(warning, 'description')}</p>
      </section>
      <section class="w-section" aria-labelledby="w-area-heading">
        <h3 class="subheading" id="w-area-heading">${t('citizen.warnings.area_heading')}</h3>
        <p>${areaWords(warning)}</p>
        <${AreaMap} warning=${warning} />
      </section>
      <p class="muted">${warning.sent ? t('citizen.warnings.sent_at', { time: formatTime(warning.sent) }) : ''}</p>
    </article>
  `;
}
