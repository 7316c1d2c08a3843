// Issue 16: the once-per-sign-in question "share my position while on duty?", then a small switch
// with what is happening now (shared, paused off duty, refused by the browser).
import { html } from 'htm/preact';
import { useOnline } from '../core/online.js';
import { t } from './strings.js';
import { useAvailability } from './availability.js';
import { sharing, useSharing } from './sharing.js';

export function SharingChoice() {
  const value = useSharing();
  const chosen = useAvailability();
  const online = useOnline();
  if (sharing.asking(value)) {
    return html`
      <fieldset class="o-availability o-availability--ask" aria-describedby="sharing-ask-hint">
        <legend class="o-availability__legend">${t('officer.sharing.ask')}</legend>
        <p class="o-availability__hint" id="sharing-ask-hint">${t('officer.sharing.ask_hint')}</p>
        <div class="o-availability__options">
          <button type="button" class="o-availability__option" onClick=${() => sharing.choose('yes')}>${t('officer.sharing.yes')}</button>
          <button type="button" class="o-availability__option" onClick=${() => sharing.choose('no')}>${t('officer.sharing.no')}</button>
        </div>
      </fieldset>
    `;
  }
  const on = value.choice === 'yes';
  const paused = on && !['available', 'busy'].includes(chosen.status);
  // "On" only once the server took a fix (sharing.js); watching but nothing taken yet: "waiting".
  const state =
    value.state === 'denied' ? 'denied' : !on ? 'off' : paused ? 'paused' : value.state === 'on' ? 'on' : 'waiting';
  return html`
    <div class="o-sharing" data-sharing=${state}>
      <button type="button" class="o-toggle" aria-pressed=${on ? 'true' : 'false'} onClick=${() => sharing.choose(on ? 'no' : 'yes')}>
        <span class="o-toggle__switch" aria-hidden="true"></span>
        <span class="o-toggle__label">${t('officer.sharing.label')}</span>
        <span class="o-toggle__state" aria-hidden="true">${on ? t('officer.sound_on') : t('officer.sound_off')}</span>
      </button>
      <p class="o-muted" role="status">
        ${t(`officer.sharing.state_${state === 'waiting' && !online ? 'waiting_offline' : state}`)}
      </p>
    </div>
  `;
}
