// One account: its facts, its open sessions, and the steps that cut a person off or let them back
// in. A new password is shown here once and never again (the server keeps only its hash).
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../../../core/ui/errors.js';
import { t } from './i18n.js';
import { userAction, userSessions } from './model.js';
import { Confirm, factorText, roleName, StateBadges, unitLabel, when } from './parts.js';

// What each step asks first (null: done at once) and says when done.
const STEPS = {
  disable: { path: 'disable', confirm: true },
  enable: { path: 'enable', confirm: false },
  reset: { path: 'reset-password', confirm: true },
  end: { path: 'sessions/end', confirm: false },
  factor: { path: 'second-factor/reset', confirm: true },
};

export function UserPanel({ token, user, selfId, units, onChanged, onClose }) {
  const [asking, setAsking] = useState(null);
  const [busy, setBusy] = useState(null);
  const [result, setResult] = useState(null); // {step, password?, ended?}
  const [error, setError] = useState(null);
  const [sessions, setSessions] = useState(null);
  const said = useRef(null); // where the focus goes after a step: its button may be gone
  const who = user.display_name || user.username;
  const self = String(user.id) === String(selfId);

  async function loadSessions() {
    try {
      setSessions(await userSessions(token, user.id));
    } catch (e) {
      setSessions({ failed: describeError(e) });
    }
  }
  useEffect(() => {
    setResult(null);
    setError(null);
    setSessions(null);
    loadSessions();
  }, [user.id]);

  async function run(step) {
    setAsking(null);
    setBusy(step);
    setError(null);
    setResult(null);
    try {
      const answer = await userAction(token, user.id, STEPS[step].path);
      setResult({ step, password: answer?.password, ended: answer?.ended });
      requestAnimationFrame(() => said.current?.focus());
      onChanged(answer?.user);
      loadSessions();
    } catch (e) {
      setError(e?.status === 409 && e.code === 'self' ? t('admin.user.refusals.self') : describeError(e));
      requestAnimationFrame(() => said.current?.focus());
    } finally {
      setBusy(null);
    }
  }
  const ask = (step) => (STEPS[step].confirm ? setAsking(step) : run(step));
  const button = (step, label, cls = 'button button--secondary') => html`
    <button type="button" class=${cls} data-action=${step} disabled=${Boolean(busy)} aria-busy=${busy === step ? 'true' : undefined}
      onClick=${() => ask(step)}>${busy === step ? t('admin.busy') : label}</button>`;

  return html`
    <section class="a-panel" aria-labelledby="a-user-title" data-panel="user">
      <div class="a-panel__head">
        <h2 class="a-panel__title" id="a-user-title">${who}</h2>
        <button type="button" class="button button--secondary button--small" onClick=${onClose}>${t('admin.close')}</button>
      </div>
      <dl class="a-facts">
        <div><dt>${t('admin.users.cols.login')}</dt><dd>${user.username}</dd></div>
        <div><dt>${t('admin.users.cols.role')}</dt><dd>${roleName(user.role)}</dd></div>
        <div><dt>${t('admin.users.cols.unit')}</dt><dd>${unitLabel(user.unit, units)}</dd></div>
        <div><dt>${t('admin.users.cols.phone')}</dt><dd>${user.phone || '–'}</dd></div>
        <div><dt>${t('admin.users.cols.factor')}</dt><dd>${factorText(user)}</dd></div>
        <div><dt>${t('admin.users.cols.state')}</dt><dd><${StateBadges} user=${user} />
          ${!user.active && user.disabled_at && html` <span class="muted">${t('admin.user.disabled_at', { at: when(user.disabled_at) })}</span>`}</dd></div>
      </dl>

      <div class="a-said" ref=${said} tabindex="-1">
        <div class="a-result" role="status">${result && html`<${Result} result=${result} who=${who} />`}</div>
        ${error && html`<p class="form-error" role="alert">${error}</p>`}
      </div>

      <h3 class="a-panel__sub">${t('admin.user.actions')}</h3>
      <div class="a-actions a-actions--stack">
        ${user.active
          ? html`${button('disable', t('admin.user.disable'), 'button button--danger')}
              ${self && html`<p class="muted">${t('admin.user.self_hint')}</p>`}`
          : button('enable', t('admin.user.enable'), 'button button--primary')}
        ${button('reset', t('admin.user.reset'))}
        ${button('end', t('admin.user.end'))}
        ${button('factor', t('admin.user.factor'))}
      </div>

      <h3 class="a-panel__sub">${t('admin.sessions.title')}</h3>
      <${Sessions} sessions=${sessions} />

      ${asking && html`
        <${Confirm} title=${t(`admin.confirm.${asking}.title`, { who })} text=${t(`admin.confirm.${asking}.text`, { who })}
          yes=${t(`admin.confirm.${asking}.yes`)} danger=${asking !== 'reset'} onYes=${() => run(asking)} onNo=${() => setAsking(null)} />`}
    </section>
  `;
}

/** What the last step did; a new password big, once, with a button to copy it. */
function Result({ result, who }) {
  const [copied, setCopied] = useState(false);
  if (result.step === 'reset' && result.password) {
    async function copy() {
      try {
        await navigator.clipboard.writeText(result.password);
        setCopied(true);
      } catch {
        setCopied(false); // no clipboard (not a secure page): the person selects it by hand
      }
    }
    return html`
      <div class="a-secret" data-result="password">
        <p><strong>${t('admin.done.reset', { who })}</strong></p>
        <p class="a-secret__value"><code>${result.password}</code>
          <button type="button" class="button button--secondary button--small" onClick=${copy}>${copied ? t('admin.copied') : t('admin.copy')}</button></p>
        <p class="a-warn">${t('admin.done.reset_once')}</p>
      </div>`;
  }
  const text = result.step === 'end' ? t('admin.done.end', { who, n: result.ended ?? 0 }) : t(`admin.done.${result.step}`, { who });
  return html`<p class="a-done" data-result=${result.step}>${text}</p>`;
}

function Sessions({ sessions }) {
  if (sessions === null) return html`<p class="placeholder">${t('admin.loading')}</p>`;
  if (sessions.failed) return html`<p class="form-error">${sessions.failed}</p>`;
  if (!sessions.length) return html`<p class="muted" data-sessions="0">${t('admin.sessions.none')}</p>`;
  return html`
    <ul class="a-sessions" data-sessions=${sessions.length}>
      ${sessions.map((s) => html`
        <li key=${s.id} class="a-session">
          <strong>${s.device || t('admin.sessions.unknown_device')}</strong>
          <span class="muted">${s.ip || '–'}</span>
          <span>${t('admin.sessions.since', { at: when(s.created_at) })} · ${t('admin.sessions.seen', { at: when(s.last_seen_at) })}</span>
          ${s.second_factor && html`<span class="a-badge">${t('admin.sessions.factor', { factor: s.second_factor })}</span>`}
        </li>`)}
    </ul>
  `;
}
