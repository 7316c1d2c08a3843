// Where this account is signed in: this device first, then the others, each with its device,
// address and last use, and a way to end it (a lost phone) or all the others at once.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { request } from '../api.js';
import { explain, t, useSaid } from './strings.js';
import { when } from './when.js';

export function SessionList({ session }) {
  const [sessions, setSessions] = useState(null);
  const [error, setError] = useSaid();
  const [busy, setBusy] = useState(null);
  const [said, setSaid] = useSaid();

  async function load() {
    try {
      const answer = await request('/api/auth/sessions', { token: session.token });
      const list = answer?.sessions ?? [];
      setSessions([...list.filter((s) => s.current), ...list.filter((s) => !s.current)]);
      setError(null);
    } catch (failure) {
      setError(() => explain(failure));
    }
  }

  useEffect(() => {
    load();
  }, [session.token]);

  async function end(id) {
    setBusy(id);
    setSaid(null);
    try {
      if (id === 'others') {
        const answer = await request('/api/auth/sessions/end-others', { method: 'POST', token: session.token });
        setSaid(() => t('account.sessions.ended_others', { n: answer?.ended ?? 0 }));
      } else {
        await request(`/api/auth/sessions/${encodeURIComponent(id)}`, { method: 'DELETE', token: session.token });
        setSaid(() => t('account.sessions.ended_one'));
      }
      await load();
    } catch (failure) {
      setError(() => explain(failure));
    } finally {
      setBusy(null);
    }
  }

  if (!sessions) {
    return error
      ? html`<p class="form-error" role="alert">${error}</p>`
      : html`<p class="acct-muted" role="status">${t('account.loading')}</p>`;
  }
  const others = sessions.filter((s) => !s.current);
  return html`
    <ul class="acct-list" aria-label=${t('account.sessions.list')}>
      ${sessions.map((s) => html`
        <li key=${s.id} class=${s.current ? 'acct-item acct-item--current' : 'acct-item'} data-session=${s.id}>
          <div class="acct-item__text">
            <strong>
              ${s.device || t('account.sessions.unknown_device')}
              ${s.current && html` <span class="acct-badge">${t('account.sessions.this_device')}</span>`}
            </strong>
            <span class="acct-muted">
              ${s.ip ? t('account.sessions.from', { ip: s.ip }) : ''}${s.ip ? ' · ' : ''}${t('account.sessions.last_used', { when: when(s.last_seen_at ?? s.created_at) })}
            </span>
            <span class="acct-muted">
              ${t('account.sessions.since', { when: when(s.created_at) })}${s.second_factor ? ` · ${t('account.sessions.with_second')}` : ''}
            </span>
          </div>
          ${!s.current && html`
            <button type="button" class="button button--secondary" disabled=${busy === s.id} onClick=${() => end(s.id)}
              aria-label=${t('account.sessions.end_named', { device: s.device || t('account.sessions.unknown_device') })}>
              ${t('account.sessions.end')}
            </button>
          `}
        </li>
      `)}
    </ul>
    ${said && html`<p class="acct-done" role="status">${said}</p>`}
    ${error && html`<p class="form-error" role="alert">${error}</p>`}
    ${others.length > 0 && html`
      <button type="button" class="button button--secondary button--block" disabled=${busy === 'others'} onClick=${() => end('others')}>
        ${t('account.sessions.end_others', { n: others.length })}
      </button>
    `}
  `;
}
