// Web push for the officer: a dispatch to the unit reaches the phone with the app closed. Offered
// with a button (browsers allow the prompt only from a click), kept current at every start, and
// dropped at sign-out, so a shared phone never rings for the previous officer.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { disablePush, enablePush, pushState, refreshPush } from '../core/push-subscribe.js';
import { t } from '../core/i18n.js';

export function PushOffer({ session }) {
  const [state, setState] = useState(pushState);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    refreshPush({ token: session.token }).then((r) => setState(r.state));
  }, [session.token]);
  if (state === 'denied') return html`<p class="o-muted">${t('officer.push_denied')}</p>`;
  if (state !== 'ask' && state !== 'off') return null;
  async function turnOn() {
    setBusy(true);
    setState((await enablePush({ token: session.token })).state);
    setBusy(false);
  }
  return html`
    <button type="button" class="button button--secondary button--block" disabled=${busy} onClick=${turnOn}>
      ${t('officer.push_enable')}
    </button>
  `;
}

/** At sign-out; never holds the sign-out up for long on a weak link. */
export function dropPush(session) {
  if (pushState() !== 'on') return Promise.resolve();
  return Promise.race([disablePush({ token: session.token }), new Promise((r) => setTimeout(r, 3000))]);
}
