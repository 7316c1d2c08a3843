// Choosing a new password: forced at a first sign-in (a session of scope "password"), asked from
// the account screen, and for a set-up link (no current password then: `token` instead).
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { request } from '../api.js';
import { getLang } from '../i18n.js';
import { explain, t, useSaid } from './strings.js';

/** The server's reason for a weak password, added for an English reader (it is English). */
function weakReason(failure) {
  const reason = failure?.serverMessage;
  return failure?.refusal === 'weak_password' && reason && getLang() === 'en' ? reason : null;
}

/**
 * `focus`: put the cursor in the first field at once. `session`: change this account's password (`current_password` asked, unless given as `current`);
 * `token`: a set-up link's.
 * `onDone()` after the server took it.
 */
export function PasswordForm({ session, token, current, id = 'pw', submitLabel, focus = false, onDone }) {
  const [busy, setBusy] = useState(false);
  const [askCurrent, setAskCurrent] = useState(Boolean(session) && !current); // else `current` is used
  const [error, setError] = useSaid();
  const box = useRef(null);

  // Opened by a button (the account screen): the first field, not the button that is gone. Not
  // on a screen of its own: a phone's keyboard would cover the words above the form.
  useEffect(() => {
    if (focus) box.current?.querySelector('input')?.focus();
  }, []);

  async function submit(event) {
    event.preventDefault();
    const form = event.currentTarget.elements;
    const fresh = form.new_password.value;
    const currentPassword = askCurrent ? form.current_password.value : current;
    if (session && !currentPassword) {
      setError(() => ({ text: t('account.password.need_current'), field: 'current' }));
      form.current_password.focus();
      return;
    }
    if (!fresh) {
      setError(() => ({ text: t('account.password.need_new'), field: 'new' }));
      form.new_password.focus();
      return;
    }
    if (fresh !== form.repeat.value) {
      setError(() => ({ text: t('account.password.differ'), field: 'repeat' }));
      form.repeat.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (token) {
        await request('/api/auth/setup', { method: 'POST', body: { token, new_password: fresh } });
      } else {
        await request('/api/auth/password', {
          method: 'POST',
          token: session.token,
          body: { current_password: currentPassword, new_password: fresh },
        });
      }
      setBusy(false);
      onDone();
    } catch (failure) {
      setBusy(false);
      // The field the server names (`field`): the wrong current password, the weak new one.
      const field = { current_password: 'current', new_password: 'new' }[failure?.field]
        ?? (failure?.refusal === 'weak_password' ? 'new' : null);
      if (field === 'current' && !askCurrent) setAskCurrent(true); // the password given was not it
      setError(() => ({ text: explain(failure), detail: weakReason(failure), field }));
      if (field === 'new') form.new_password.select();
      else if (field === 'current' && askCurrent) form.current_password.select();
    }
  }

  const invalid = (field) => (error?.field === field ? 'true' : undefined);
  return html`
    <form class="acct-form" ref=${box} onSubmit=${submit} noValidate aria-busy=${busy ? 'true' : 'false'}>
      ${askCurrent && html`
        <div class="field">
          <label for=${`${id}-current`}>${t('account.password.current')}</label>
          <input id=${`${id}-current`} name="current_password" type="password" autocomplete="current-password"
            aria-invalid=${invalid('current')} />
        </div>
      `}
      <div class="field">
        <label for=${`${id}-new`}>${t('account.password.new')}</label>
        <input id=${`${id}-new`} name="new_password" type="password" autocomplete="new-password"
          aria-describedby=${`${id}-rule`} aria-invalid=${invalid('new')} />
        <p class="acct-hint" id=${`${id}-rule`}>${t('account.password.rule')}</p>
      </div>
      <div class="field">
        <label for=${`${id}-repeat`}>${t('account.password.repeat')}</label>
        <input id=${`${id}-repeat`} name="repeat" type="password" autocomplete="new-password" aria-invalid=${invalid('repeat')} />
      </div>
      ${error && html`
        <p class="form-error" role="alert">${error.text}${error.detail && html`<br /><span class="acct-detail">${error.detail}</span>`}</p>
      `}
      <button type="submit" class="button button--primary button--block" disabled=${busy}>
        ${busy ? t('account.password.saving') : (submitLabel ?? t('account.password.save'))}
      </button>
    </form>
  `;
}
