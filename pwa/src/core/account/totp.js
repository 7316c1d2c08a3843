// The authenticator app (TOTP): the server's secret as a QR code to scan and as text to type, then
// one code from the app to prove it was set up right. Nothing is switched on before that code.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { request } from '../api.js';
import { explain, t, useSaid } from './strings.js';

/**
 * The QR code as an image. The server's SVG goes in through a Blob URL into an <img> (the CSP
 * allows blob: images): an SVG in an <img> runs no script, and no markup of it enters the page.
 */
function QrCode({ svg }) {
  const [url, setUrl] = useState(null);
  useEffect(() => {
    // An SVG made for inlining (segno's svg_inline) has no namespace; as a file of its own it
    // would not be read as SVG at all (a broken image): the namespace is added if missing.
    const whole = /^<svg(?![^>]*\bxmlns=)/.test(svg) ? svg.replace('<svg', '<svg xmlns="http://www.w3.org/2000/svg"') : svg;
    const made = URL.createObjectURL(new Blob([whole], { type: 'image/svg+xml' }));
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [svg]);
  return url && html`<img class="acct-qr" src=${url} alt=${t('account.totp.qr_alt')} width="200" height="200" />`;
}

/** `onDone(answer)`: confirmed; `answer` is null or `{recovery_codes}` (a first second factor). */
export function TotpSetup({ session, onDone, primary = false }) {
  const [secret, setSecret] = useState(null); // {secret, uri, qr_svg}
  const [busy, setBusy] = useState(false);
  const [error, setError] = useSaid();
  const [copied, setCopied] = useState(false);

  async function start() {
    setBusy(true);
    setError(null);
    try {
      setSecret(await request('/api/auth/totp', { method: 'POST', token: session.token }));
    } catch (failure) {
      setError(() => explain(failure));
    } finally {
      setBusy(false);
    }
  }

  async function confirm(event) {
    event.preventDefault();
    const field = event.currentTarget.elements.code;
    const code = field.value.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(code)) {
      setError(() => t('account.totp.six_digits'));
      field.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const answer = await request('/api/auth/totp/confirm', { method: 'POST', token: session.token, body: { code } });
      setBusy(false);
      onDone(answer);
    } catch (failure) {
      setBusy(false);
      setError(() => explain(failure));
      field.select();
    }
  }

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret.secret);
      setCopied(true);
    } catch {
      setCopied(false); // no clipboard here: the text is on screen to type
    }
  }

  if (!secret) {
    return html`
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
      <button type="button" class=${`button button--block ${primary ? 'button--primary' : 'button--secondary'}`}
        onClick=${start} disabled=${busy}>
        ${t('account.totp.start')}
      </button>
    `;
  }
  const grouped = secret.secret.replace(/\s+/g, '').match(/.{1,4}/g).join(' ');
  return html`
    <div class="acct-totp">
      <ol class="acct-steps">
        <li>${t('account.totp.step_app')}</li>
        <li>
          ${t('account.totp.step_scan')}
          <div class="acct-qr-box"><${QrCode} svg=${secret.qr_svg} /></div>
          <p>${t('account.totp.or_type')}</p>
          <p class="acct-secret" data-secret>${grouped}</p>
          <div class="acct-row">
            <button type="button" class="button button--secondary" onClick=${copy}>
              ${copied ? t('account.copied') : t('account.totp.copy')}
            </button>
            <a class="button button--secondary acct-otp-link" href=${secret.uri}>${t('account.totp.open_app')}</a>
          </div>
        </li>
        <li>
          <form class="acct-form" onSubmit=${confirm} noValidate>
            <div class="field">
              <label for="totp-code">${t('account.totp.code_label')}</label>
              <input id="totp-code" name="code" class="acct-code" inputmode="numeric" autocomplete="one-time-code" maxlength="8" />
            </div>
            ${error && html`<p class="form-error" role="alert">${error}</p>`}
            <button type="submit" class="button button--primary button--block" disabled=${busy}>${t('account.totp.confirm')}</button>
          </form>
        </li>
      </ol>
    </div>
  `;
}
