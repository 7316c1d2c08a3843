// The audit log for supervisors and admins: who opened which report, and when. The server pages
// by entry id (`before` / `next_before`); the ids of the pages seen are kept to step back.
// A dispatcher is answered 403 and the section is not shown at all.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { getLang } from '../../core/i18n.js';
import { useJson } from './data.js';
import { dateTime } from './format.js';
import { t } from './i18n.js';
import { Loading, Section } from './parts.js';

// Action (or prefix) → its words; the keys cannot hold the dots of the actions themselves.
const ACTIONS = { 'report.read': 'report_read', 'report.*': 'report_any', 'incident.*': 'incident_any', 'stats.export': 'stats_export', all: 'all' };
const actionLabel = (action) => (ACTIONS[action] ? t(`stats.audit.actions.${ACTIONS[action]}`) : action);
const PAGE = 50;

function auditUrl(path, filters, query, before) {
  const params = new URLSearchParams({ from: filters.from, to: filters.to });
  if (query.action !== 'all') params.set('action', query.action);
  if (query.actor) params.set('actor', query.actor);
  if (query.target) params.set('target', query.target);
  if (path.endsWith('.csv')) params.set('lang', getLang());
  else params.set('limit', String(PAGE));
  if (before) params.set('before', String(before));
  return `${path}?${params}`;
}

function actorOf(entry) {
  if (entry.actor_kind === 'server') return t('stats.audit.server');
  const name = entry.actor_display_name || entry.actor_name || `${entry.actor_kind}:${entry.actor_id}`;
  return entry.actor_role ? `${name} (${t(`police.roles.${entry.actor_role}`)})` : name;
}

export function AuditSection({ filters, token }) {
  const [query, setQuery] = useState({ action: 'report.read', actor: '', target: '' });
  const [draft, setDraft] = useState(query);
  const [pages, setPages] = useState([null]); // the `before` of each page seen, newest first
  const before = pages[pages.length - 1];
  const state = useJson(auditUrl('/api/audit', filters, query, before), token);
  if (state.error?.status === 403) return null;
  const data = state.data;

  function search(event) {
    event.preventDefault();
    setQuery(draft);
    setPages([null]);
  }

  return html`
    <${Section} id="audit" title=${t('stats.audit.title')} csv=${auditUrl('/api/audit.csv', filters, query)}>
      <p class="stats-muted">${t('stats.audit.hint')}</p>
      <form class="stats-filters stats-filters--audit" onSubmit=${search}>
        <label class="stats-field">
          <span>${t('stats.audit.action')}</span>
          <select name="action" value=${draft.action} onChange=${(e) => setDraft({ ...draft, action: e.currentTarget.value })}>
            ${Object.keys(ACTIONS).map((a) => html`<option key=${a} value=${a}>${actionLabel(a)}</option>`)}
          </select>
        </label>
        <label class="stats-field">
          <span>${t('stats.audit.actor')}</span>
          <input name="actor" value=${draft.actor} onInput=${(e) => setDraft({ ...draft, actor: e.currentTarget.value.trim() })} />
        </label>
        <label class="stats-field">
          <span>${t('stats.audit.target')}</span>
          <input name="target" value=${draft.target} onInput=${(e) => setDraft({ ...draft, target: e.currentTarget.value.trim() })} />
        </label>
        <button type="submit" class="stats-tool">${t('stats.audit.search')}</button>
      </form>
      <${Loading} state=${state} />
      ${data && (data.entries.length
        ? html`
            <table class="stats-table" data-table="audit">
              <thead>
                <tr>
                  <th scope="col">${t('stats.audit.at')}</th>
                  <th scope="col">${t('stats.audit.actor')}</th>
                  <th scope="col">${t('stats.audit.action')}</th>
                  <th scope="col">${t('stats.audit.target')}</th>
                </tr>
              </thead>
              <tbody>
                ${data.entries.map((e) => html`
                  <tr key=${e.id} data-entry=${e.id}>
                    <td>${dateTime(e.at)}</td>
                    <td>${actorOf(e)}</td>
                    <td>${actionLabel(e.action)}</td>
                    <td class="stats-mono">${e.target ?? ''}</td>
                  </tr>
                `)}
              </tbody>
            </table>
          `
        : html`<p class="stats-muted">${t('stats.audit.empty')}</p>`)}
      <div class="stats-pager">
        <button type="button" class="stats-tool" disabled=${pages.length === 1} onClick=${() => setPages(pages.slice(0, -1))}>
          ← ${t('stats.audit.newer')}
        </button>
        <span>${t('stats.audit.page', { n: pages.length })}</span>
        <button
          type="button"
          class="stats-tool"
          disabled=${!data?.next_before}
          onClick=${() => setPages([...pages, data.next_before])}
        >${t('stats.audit.older')} →</button>
      </div>
    <//>
  `;
}
