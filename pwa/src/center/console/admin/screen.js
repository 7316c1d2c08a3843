// The admin screen (issue 25): units on the left, the accounts of the chosen unit in the middle
// (searched, filtered and paged by the server: a city has thousands), and on the right the chosen
// account, the new-account form or the CSV import. A chunk of its own (index.js).
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../../../core/ui/errors.js';
import { useLang } from '../../../core/use-lang.js';
import { CreateForm } from './create.js';
import { t } from './i18n.js';
import { ImportPanel, Links } from './import.js';
import { listUnits, listUsers, ROLES } from './model.js';
import { UnitList } from './units.js';
import { UserPanel } from './user-panel.js';
import { UserTable } from './users.js';
import adminCss from './admin.css' with { type: 'text' };

const TYPING_MS = 250; // a search is sent once the typing pauses, not at every key

let adopted = false;

function adoptStyles() {
  if (adopted || !('adoptedStyleSheets' in document)) return;
  adopted = true;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(adminCss.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s+/g, ' '));
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}

adoptStyles();

const FIRST = { q: '', unit: '', role: '', active: '', offset: 0 };

export function AdminScreen({ session }) {
  useLang(); // its words follow a change of language
  const token = session.token;
  const [units, setUnits] = useState(null);
  const [filters, setFilters] = useState(FIRST);
  const [typed, setTyped] = useState('');
  const [data, setData] = useState(null);
  const [failed, setFailed] = useState(null);
  const [panel, setPanel] = useState(null); // null | {kind: 'create'|'import'} | {kind: 'user', id}
  const [done, setDone] = useState('');
  // The last import's set-up links, kept here (not in the import panel) until downloaded: they
  // exist nowhere else, so another panel opened meanwhile must not take them away.
  const [links, setLinks] = useState(null);
  const [version, setVersion] = useState(0); // bumped to read the list again after a change
  const asked = useRef(0);

  const refresh = () => {
    setVersion((v) => v + 1);
    listUnits(token).then(setUnits, () => {});
  };
  useEffect(() => {
    listUnits(token).then(setUnits, (e) => {
      setUnits([]);
      setFailed(describeError(e));
    });
  }, []);

  useEffect(() => {
    const timer = setTimeout(() => typed !== filters.q && setFilters((f) => ({ ...f, q: typed, offset: 0 })), TYPING_MS);
    return () => clearTimeout(timer);
  }, [typed]);

  useEffect(() => {
    const mine = ++asked.current; // an older answer arriving late must not replace a newer one
    listUsers(token, filters).then(
      (answer) => {
        if (mine !== asked.current) return;
        setData(answer);
        setFailed(null);
      },
      (e) => mine === asked.current && setFailed(describeError(e)),
    );
  }, [filters, version]);

  const filter = (changes) => setFilters((f) => ({ ...f, ...changes, offset: 0 }));
  // The list's row when it is there (fresh after every change), else the last known state.
  const selected = panel?.kind === 'user' ? data?.users.find((u) => u.id === panel.id) ?? panel.user : null;

  return html`
    <div class="a-screen">
      <${UnitList} units=${units} selected=${filters.unit} onSelect=${(unit) => filter({ unit })} />
      <section class="a-main" aria-labelledby="a-title">
        <div class="a-main__head">
          <h1 class="a-main__title" id="a-title">${t('admin.title')}</h1>
          <div class="a-actions">
            <button type="button" class="button button--primary" data-action="new-user" onClick=${() => setPanel({ kind: 'create' })}>
              ${t('admin.create.open')}
            </button>
            <button type="button" class="button button--secondary" data-action="import" onClick=${() => setPanel({ kind: 'import' })}>
              ${t('admin.import.open')}
            </button>
          </div>
        </div>
        <form class="a-filters" role="search" onSubmit=${(e) => { e.preventDefault(); filter({ q: typed }); }}>
          <label class="a-field a-filters__q">
            <span class="a-field__label">${t('admin.filters.q')}</span>
            <input type="search" name="q" value=${typed} autocomplete="off" onInput=${(e) => setTyped(e.currentTarget.value)} />
          </label>
          <div class="a-field">
            <label class="a-field__label" for="a-filter-role">${t('admin.filters.role')}</label>
            <select id="a-filter-role" name="role" value=${filters.role} onChange=${(e) => filter({ role: e.currentTarget.value })}>
              <option value="">${t('admin.filters.any_role')}</option>
              ${ROLES.map((r) => html`<option key=${r} value=${r}>${t(`police.roles.${r}`)}</option>`)}
            </select>
          </div>
          <div class="a-field">
            <label class="a-field__label" for="a-filter-state">${t('admin.filters.state')}</label>
            <select id="a-filter-state" name="active" value=${filters.active} onChange=${(e) => filter({ active: e.currentTarget.value })}>
              <option value="">${t('admin.filters.any_state')}</option>
              <option value="active">${t('admin.state.active')}</option>
              <option value="disabled">${t('admin.state.disabled')}</option>
            </select>
          </div>
        </form>
        ${links && !links.downloaded && panel?.kind !== 'import' && html`
          <${Links} links=${links} brief onDownloaded=${() => setLinks({ ...links, downloaded: true })} />`}
        <p class="a-status" role="status">${done}</p>
        ${failed && html`<p class="form-error" role="alert">${failed}</p>`}
        <${UserTable} data=${data} units=${units} selectedId=${selected?.id} offset=${filters.offset}
          onOpen=${(u) => setPanel(panel?.kind === 'user' && panel.id === u.id ? null : { kind: 'user', id: u.id, user: u })}
          onPage=${(offset) => setFilters((f) => ({ ...f, offset }))} />
      </section>
      <aside class="a-side" aria-label=${t('admin.side')}>
        ${panel?.kind === 'create'
          ? html`<${CreateForm} token=${token} units=${units} onCancel=${() => setPanel(null)}
              onDone=${(username) => {
                setPanel(null);
                setDone(t('admin.done.created', { username }));
                setTyped(username);
                filter({ q: username, unit: '', role: '', active: '' });
                refresh();
              }} />`
          : panel?.kind === 'import'
          ? html`<${ImportPanel} token=${token} links=${links} onClose=${() => setPanel(null)}
              onDone=${(made) => {
                setLinks(made);
                refresh();
              }}
              onDownloaded=${() => setLinks((l) => l && { ...l, downloaded: true })} />`
          : selected
          ? html`<${UserPanel} key=${selected.id} token=${token} user=${selected} selfId=${session.user.id} units=${units}
              onClose=${() => setPanel(null)}
              onChanged=${(user) => {
                // The answer's account: the list may no longer hold it (filtered by state).
                if (user) setPanel((p) => (p?.kind === 'user' && p.id === user.id ? { ...p, user } : p));
                refresh();
              }} />`
          : html`<${Intro} />`}
      </aside>
    </div>
  `;
}

function Intro() {
  return html`
    <section class="a-panel a-intro">
      <h2 class="a-panel__title">${t('admin.intro.title')}</h2>
      <ul>
        <li>${t('admin.intro.find')}</li>
        <li>${t('admin.intro.cut')}</li>
        <li>${t('admin.intro.import')}</li>
      </ul>
    </section>
  `;
}
