// The second sign-in step of the signed-in account, as the account screen shows it: passkeys,
// the authenticator app, recovery codes. The enrol screen (restricted.js) uses its parts.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { request } from '../api.js';
import { PasskeyAdd, PasskeyList } from './passkeys.js';
import { RecoveryCodes } from './recovery.js';
import { explain, t, useSaid } from './strings.js';
import { TotpSetup } from './totp.js';
import { day } from './when.js';

/** `refresh()`: ask the server for the account again (its counts) and update the session. */
export function SecondFactorPanel({ session, refresh }) {
  const factor = session.user.second_factor ?? {};
  const [passkeys, setPasskeys] = useState([]);
  const [codes, setCodes] = useState(null); // fresh recovery codes, shown once
  const [confirm, setConfirm] = useState(null); // 'totp_off' | 'regenerate'
  const [busy, setBusy] = useState(false);
  const [error, setError] = useSaid();
  const [said, setSaid] = useSaid();

  async function loadPasskeys() {
    try {
      const answer = await request('/api/auth/webauthn/credentials', { token: session.token });
      setPasskeys(answer?.credentials ?? []);
    } catch (failure) {
      setError(() => explain(failure));
    }
  }

  useEffect(() => {
    loadPasskeys();
  }, [session.token]);

  /** `say`: how to say what was done (a function, so that it follows the language). */
  async function changed(answer, say) {
    setSaid(say);
    setError(null);
    if (answer?.recovery_codes?.length) setCodes(answer.recovery_codes);
    await Promise.all([loadPasskeys(), refresh()]);
  }

  async function act(kind) {
    setBusy(true);
    setError(null);
    try {
      if (kind === 'totp_off') {
        await request('/api/auth/totp', { method: 'DELETE', token: session.token });
        await changed(null, () => t('account.totp.turned_off'));
      } else {
        const answer = await request('/api/auth/recovery-codes', { method: 'POST', token: session.token });
        await changed(answer, () => null);
      }
      setConfirm(null);
    } catch (failure) {
      setError(() => explain(failure));
    } finally {
      setBusy(false);
    }
  }

  const enrolled = factor.totp || factor.passkeys > 0;
  return html`
    <section class="card acct-card" aria-labelledby="acct-second-title">
      <h3 class="acct-subheading" id="acct-second-title">${t('account.factor.title')}</h3>
      <p class=${enrolled ? 'acct-state acct-state--on' : 'acct-state acct-state--off'}>
        ${enrolled ? t('account.factor.on') : t('account.factor.off')}
        ${!enrolled && factor.required && factor.enrol_by ? ` ${t('account.factor.due', { date: day(factor.enrol_by) })}` : ''}
      </p>
      ${codes && html`<${RecoveryCodes} codes=${codes} username=${session.user.username} onClose=${() => setCodes(null)} />`}
      ${said && html`<p class="acct-done" role="status">${said}</p>`}

      <h4 class="acct-minor">${t('account.passkey.title')}</h4>
      <p class="acct-muted">${t('account.passkey.why')}</p>
      <${PasskeyList} session=${session} passkeys=${passkeys} onChange=${() => changed(null, () => t('account.passkey.removed'))} />
      <${PasskeyAdd} session=${session} primary=${!enrolled} onAdded=${(answer) => changed(answer, () => t('account.passkey.added'))} />

      <h4 class="acct-minor">${t('account.totp.title')}</h4>
      ${factor.totp
        ? html`
            <p class="acct-muted">${t('account.totp.is_on')}</p>
            ${confirm === 'totp_off'
              ? html`
                  <div class="acct-row">
                    <button type="button" class="button button--danger" disabled=${busy} onClick=${() => act('totp_off')}>${t('account.totp.off_confirm')}</button>
                    <button type="button" class="button button--secondary" onClick=${() => setConfirm(null)}>${t('account.cancel')}</button>
                  </div>
                `
              : html`<button type="button" class="button button--secondary" onClick=${() => setConfirm('totp_off')}>${t('account.totp.off')}</button>`}
          `
        : html`
            <p class="acct-muted">${t('account.totp.why')}</p>
            <${TotpSetup} session=${session} onDone=${(answer) => changed(answer, () => t('account.totp.turned_on'))} />
          `}

      ${enrolled && html`
        <h4 class="acct-minor">${t('account.recovery.heading')}</h4>
        <p class="acct-muted">${t('account.recovery.left', { n: factor.recovery_codes_left ?? 0 })}</p>
        ${confirm === 'regenerate'
          ? html`
              <p class="notice">${t('account.recovery.regenerate_warning')}</p>
              <div class="acct-row">
                <button type="button" class="button button--primary" disabled=${busy} onClick=${() => act('regenerate')}>${t('account.recovery.regenerate_confirm')}</button>
                <button type="button" class="button button--secondary" onClick=${() => setConfirm(null)}>${t('account.cancel')}</button>
              </div>
            `
          : html`<button type="button" class="button button--secondary" onClick=${() => setConfirm('regenerate')}>${t('account.recovery.regenerate')}</button>`}
      `}
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
    </section>
  `;
}
