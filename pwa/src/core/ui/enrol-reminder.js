// Inside the grace an account that will need a second factor signs in fully; this banner says
// until when, on the home of both apps, until it is set up. "Later" hides it for this session
// of the browser tab only: it comes back at the next start, as the date comes closer.
// Its strings (and the account screen's link label) ride with it in the signed-in chunks, not in
// the dictionaries every app and every citizen's first visit download.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { withStrings } from '../i18n.js';
import { cityTime } from '../time-format.js';
import vi from './strings/vi.json';
import en from './strings/en.json';

const { t } = withStrings({ vi, en });

/** "Account and security": the label of the links to #/account. */
export const accountLabel = () => t('police.account');

const KEY = 'sos.enrol-reminder.later';

/** The `enrol_by` date (ms) when this user should be reminded, else null. */
export function enrolDue(user) {
  const factor = user?.second_factor;
  if (!factor?.enrol_by || factor.totp || factor.passkeys > 0) return null;
  return factor.enrol_by;
}

function dismissed(user) {
  try {
    return sessionStorage.getItem(KEY) === String(user.id);
  } catch {
    return false;
  }
}

/** `href`: the account screen of this app; `className`: the app's banner look. */
export function EnrolReminder({ user, href = '#/account', className = 'notice' }) {
  const [hidden, setHidden] = useState(() => dismissed(user));
  const due = enrolDue(user);
  if (!due || hidden) return null;

  function later() {
    try {
      sessionStorage.setItem(KEY, String(user.id));
    } catch {
      // not remembered: hidden until the page reloads
    }
    setHidden(true);
  }

  const date = cityTime(due, { day: 'numeric', month: 'numeric', year: 'numeric' });
  return html`
    <div class=${`${className} enrol-reminder`} role="status" data-reminder="enrol">
      <span>${t('police.reminder', { date })}</span>
      <span class="enrol-reminder__actions">
        <a class="button button--primary button--small" href=${href}>${t('police.reminder_act')}</a>
        <button type="button" class="button button--secondary button--small" onClick=${later}>${t('police.reminder_later')}</button>
      </span>
    </div>
  `;
}
