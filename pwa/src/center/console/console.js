// The command center console: the live queue, the map and one incident side by side, made for a
// desktop that stays open all shift (1366×768 up to a wall display). Loaded after sign-in.
import { html } from 'htm/preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { disablePush, enablePush, pushState, refreshPush } from '../../core/push-subscribe.js';
import { useLang } from '../../core/use-lang.js';
import { AlertStrip, HelpOverlay, TopBar } from './chrome.js';
import { loadTimers, loadUnits } from './directory.js';
import { t } from './i18n.js';
import { ACTIONS, DetailPanel } from './incident/detail-panel.js';
import { PhoneIntakeForm } from './intake/phone-form.js';
import { useIncident } from './incident/incident-model.js';
import { MapPanel } from './map/map-panel.js';
import { useNow } from './now.js';
import { beeper } from './queue/alerts.js';
import { Inbox } from './queue/inbox.js';
import { EMPTY_FILTERS, isEscalated, matches, queueOrder, STATUS_FILTERS } from './queue/order.js';
import { QueuePanel } from './queue/queue-panel.js';
import { OPEN_STATUSES } from '../../core/incident-fold.js';
import { AccountPart } from '../../core/ui/account-part.js';
import { adoptStyles } from './styles.js';
import { useUnitPositions } from './units-live.js';
import { WarningsHome, warningsRoute } from './warnings/index.js';
import { AdminHome, adminRoute } from './admin/index.js';

adoptStyles();

const REMINDER_MS = 30_000; // unseen new reports ring again at this interval until looked at
const HASH = /^#\/incident\/([A-Za-z0-9_-]{1,64})$/;

const idFromHash = () => HASH.exec(location.hash)?.[1] ?? null;
// `#/account`: the dispatcher's own password, second factor and sessions, in place of the queue.
const accountRoute = () => /^#\/account\/?$/.test(location.hash);

function isTyping(target) {
  return Boolean(target?.closest?.('input, textarea, select, [contenteditable="true"]'));
}

export function Console({ session, unconfirmed, onSignOut, onSession }) {
  const lang = useLang();
  const now = useNow();
  const officersOnDuty = useUnitPositions(); // issue 16: where the units are, live
  const [inbox] = useState(() => new Inbox({
    token: session.token,
    onArrival: () => beeper.play('arrival'),
    onEscalation: () => beeper.play('escalation'),
  }));
  const [, setInboxVersion] = useState(0);
  const [, setSoundVersion] = useState(0);
  const [selectedId, setSelectedId] = useState(idFromHash);
  const [cursorId, setCursorId] = useState(null);
  const [form, setForm] = useState(null);
  const [pending, setPending] = useState(null); // an action key pressed before the incident loaded
  const [help, setHelp] = useState(false);
  const [mediaOpen, setMediaOpen] = useState(null);
  const [intake, setIntake] = useState(null); // null, or {pick} while a call is being taken
  const [filters, setFilters] = useState(EMPTY_FILTERS);
  const [filtersOpen, setFiltersOpen] = useState(false);
  const [units, setUnits] = useState(null);
  const [timers, setTimers] = useState(null);
  const [push, setPush] = useState({ state: pushState(), busy: false });
  const [warnings, setWarnings] = useState(warningsRoute); // the warnings screen's route, or null
  const [admin, setAdmin] = useState(() => adminRoute(session.user)); // the admin screen is open
  const [account, setAccount] = useState(accountRoute);
  const model = useIncident(selectedId, session);
  const canAct = session.user.role === 'dispatcher';
  const root = useRef(null);
  const selectedRef = useRef(selectedId); // for handlers made in an earlier render (hashchange)

  // --- lifetime: the page is the console while it is mounted ------------------------------------
  useEffect(() => {
    document.documentElement.classList.add('center-console');
    const offInbox = inbox.subscribe(() => setInboxVersion((v) => v + 1));
    const offSound = beeper.subscribe(() => setSoundVersion((v) => v + 1));
    beeper.arm();
    loadUnits(session.token).then(setUnits, () => {});
    loadTimers(session.token).then(setTimers);
    refreshPush({ token: session.token }).then((r) => setPush({ state: r.state, busy: false }));
    const onHash = () => {
      setWarnings(warningsRoute());
      setAdmin(adminRoute(session.user));
      setAccount(accountRoute());
      openIncident(idFromHash(), { fromHash: true });
    };
    addEventListener('hashchange', onHash);
    return () => {
      document.documentElement.classList.remove('center-console');
      document.title = `${t('apps.center.title')} – ${t('common.app_name')}`;
      offInbox();
      offSound();
      beeper.disarm();
      removeEventListener('hashchange', onHash);
      inbox.destroy();
    };
  }, []);

  // --- the queue as shown ---------------------------------------------------------------------
  const items = inbox.items;
  // By the clock too: a report crossing the triage limit rises with the overdue ones at once.
  const sorted = useMemo(() => [...items].sort(queueOrder(now, timers)), [items, now, timers]);
  const shown = useMemo(() => sorted.filter((item) => matches(item, filters)), [sorted, filters]);
  const unseen = inbox.unseen();
  const escalated = sorted.filter(isEscalated);
  const counts = {
    new: items.filter((i) => i.status === 'new').length,
    unseen: unseen.length,
    escalated: escalated.length,
    open: items.length,
  };

  useEffect(() => {
    if (!cursorId || !shown.some((i) => i.id === cursorId)) setCursorId(selectedId && shown.some((i) => i.id === selectedId) ? selectedId : (shown[0]?.id ?? null));
  }, [shown, cursorId, selectedId]);

  // The tab's title counts what nobody has looked at yet, so it shows from another tab or window.
  useEffect(() => {
    const base = `${t('apps.center.title')} – ${t('common.app_name')}`;
    // After the frame's own title effect (it runs after ours, on language changes).
    const timer = setTimeout(() => {
      document.title = unseen.length ? `(${unseen.length}) ${base}` : base;
    }, 0);
    return () => clearTimeout(timer);
  }, [unseen.length, lang]);

  useEffect(() => {
    if (!unseen.length) return undefined;
    const timer = setInterval(() => beeper.play('reminder'), REMINDER_MS);
    return () => clearInterval(timer);
  }, [unseen.length > 0]);

  // --- selection ------------------------------------------------------------------------------
  function openIncident(id, { fromHash = false } = {}) {
    // From the warnings screen (the alert strip's "Open", a new call): back to the queue's screen,
    // the incident opened afresh (pushState below fires no hashchange).
    if (!fromHash && (warningsRoute() || adminRoute(session.user) || accountRoute())) {
      setWarnings(null);
      setAdmin(false);
      setAccount(false);
      selectedRef.current = undefined;
    }
    if (id && id === selectedRef.current) return; // already open: keep its form as it is
    selectedRef.current = id;
    setSelectedId(id);
    setIntake(null);
    setForm(null);
    setMediaOpen(null);
    if (id) {
      setCursorId(id);
      inbox.markSeen([id]);
    }
    if (!fromHash) {
      // A history entry per incident opened: Back returns to the one before (hashchange).
      const hash = id ? `#/incident/${id}` : '';
      if (location.hash !== hash) history.pushState(null, '', `${location.pathname}${location.search}${hash}`);
    }
  }

  useEffect(() => {
    if (selectedId) inbox.markSeen([selectedId]);
    setPending(null);
  }, [selectedId]);

  const loadedStatus = model?.view().state?.status;
  useEffect(() => {
    if (!pending || !loadedStatus) return;
    if (ACTIONS.find((a) => a.form === pending)?.when(loadedStatus)) setForm(pending);
    setPending(null);
  }, [pending, loadedStatus]);

  function moveCursor(step) {
    if (!shown.length) return;
    const index = shown.findIndex((i) => i.id === cursorId);
    const next = shown[Math.min(shown.length - 1, Math.max(0, index < 0 ? 0 : index + step))];
    setCursorId(next.id);
    requestAnimationFrame(() => root.current?.querySelector(`.queue__list [data-incident="${next.id}"]`)?.focus());
  }

  // --- keyboard ---------------------------------------------------------------------------------
  const keys = useRef(null);
  keys.current = (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (warningsRoute() || adminRoute(session.user) || accountRoute()) return; // the queue's keys act on a queue that is not on screen
    if (event.key === 'Escape') {
      if (mediaOpen) setMediaOpen(null);
      else if (help) setHelp(false);
      else if (intake) setIntake(null);
      else if (form) {
        setForm(null);
        root.current?.querySelector(`.queue__list [data-incident="${cursorId}"]`)?.focus();
      } else if (selectedId) openIncident(null);
      else return;
      event.preventDefault();
      return;
    }
    if (isTyping(event.target) || event.defaultPrevented) return;
    if (help || mediaOpen) return;
    const inMap = event.target?.closest?.('.leaflet-container');
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    if (key === '?') setHelp(true);
    else if (key === 'j' || (key === 'ArrowDown' && !inMap)) moveCursor(1);
    else if (key === 'k' || (key === 'ArrowUp' && !inMap)) moveCursor(-1);
    else if (key === 'Enter') {
      if (event.target?.closest?.('button, a, summary')) return; // the focused control's own Enter
      if (cursorId) openIncident(cursorId);
    } else if (key === 'f') setFiltersOpen((open) => !open);
    else if (key === 's') beeper.setMuted(!beeper.muted);
    else {
      const action = ACTIONS.find((a) => a.key === key);
      if (!action || !selectedId || !canAct || !model) return;
      const status = model.view().state?.status;
      // Pressed while the incident is still loading: done as soon as it is there.
      if (!status) setPending(action.form);
      else if (action.when(status)) setForm(action.form);
      else return;
    }
    event.preventDefault();
  };
  useEffect(() => {
    const listener = (event) => keys.current(event);
    addEventListener('keydown', listener);
    return () => removeEventListener('keydown', listener);
  }, []);

  // --- top bar actions --------------------------------------------------------------------------
  async function turnOnPush() {
    setPush((p) => ({ ...p, busy: true }));
    const result = await enablePush({ token: session.token });
    setPush({ state: result.state, busy: false });
  }

  async function signOut() {
    if (pushState() === 'on') {
      await Promise.race([disablePush({ token: session.token }), new Promise((r) => setTimeout(r, 3000))]);
    }
    inbox.forget();
    if (location.hash) history.replaceState(null, '', location.pathname);
    onSignOut();
  }

  // Stable, so that the map does not re-arm its click handler on every render.
  const pickPlace = useMemo(() => (lat, lon) => setIntake((current) => current && { pick: { lat, lon } }), []);

  function takeCall() {
    openIncident(null);
    setIntake({ pick: null });
  }

  const summary = selectedId ? inbox.byId.get(selectedId) : null;
  // The open incident stays on the map even when the filters hide it from the list.
  const mapItems = useMemo(
    () => (summary && !shown.includes(summary) ? [...shown, summary] : shown),
    [shown, summary],
  );
  const view = model?.view();
  return html`
    <div
      class=${selectedId ? 'console console--detail' : 'console'}
      ref=${root}
      data-beeps=${beeper.count}
      data-queue=${inbox.status}
    >
      <${TopBar}
        user=${session.user}
        now=${now}
        counts=${counts}
        sound=${{ muted: beeper.muted, blocked: beeper.blocked }}
        onSound=${() => beeper.setMuted(!beeper.muted)}
        push=${push}
        onPush=${turnOnPush}
        onHelp=${() => setHelp(true)}
        onCall=${canAct ? takeCall : null}
        onSignOut=${signOut}
        screen=${account ? 'account' : admin ? 'admin' : warnings ? 'warnings' : 'queue'}
      />
      <${AlertStrip}
        unseen=${unseen}
        escalated=${escalated}
        status=${inbox.status}
        denied=${inbox.denied}
        unconfirmed=${unconfirmed}
        sound=${{ muted: beeper.muted, blocked: beeper.blocked }}
        units=${units}
        user=${account ? null : session.user}
        onOpen=${(id) => openIncident(id)}
        onSeenAll=${() => inbox.markSeen(unseen.map((i) => i.id))}
        onSignOut=${signOut}
      />
      ${account ? html`<div class="console__body console__body--account"><${AccountPart} name="AccountScreen" session=${session} onSession=${onSession} back="#/" wide=${true} /></div>` : admin ? html`<div class="console__body console__body--admin"><${AdminHome} session=${session} /></div>` : warnings ? html`<div class="console__body console__body--warnings"><${WarningsHome} session=${session} focusId=${warnings.id} /></div>` : html`
      <div class="console__body">
        <${QueuePanel}
          inbox=${inbox}
          items=${items}
          shown=${shown}
          filters=${filters}
          onFilters=${setFilters}
          filtersOpen=${filtersOpen}
          onFiltersOpen=${setFiltersOpen}
          selectedId=${selectedId}
          cursorId=${cursorId}
          onOpen=${(id) => openIncident(id)}
          onCursor=${setCursorId}
          now=${now}
          timers=${timers}
          units=${units}
        />
        <${MapPanel}
          items=${mapItems}
          selectedId=${selectedId}
          selectedAccuracy=${view?.report?.accuracy}
          selectedTrail=${view?.report?.silent ? view.report.track : null}
          onSelect=${(id) => openIncident(id)}
          token=${session.token}
          lang=${lang}
          pick=${intake?.pick}
          onPick=${intake ? pickPlace : null}
          officers=${officersOnDuty}
          now=${now}
          units=${units}
        />
        <aside class="console__detail" aria-label=${t('center.detail.label')}>
          ${intake
            ? html`
                <${PhoneIntakeForm}
                  token=${session.token}
                  pick=${intake.pick}
                  onPick=${(place) => setIntake({ pick: place })}
                  onClearPick=${() => setIntake({ pick: null })}
                  onCreated=${(id) => openIncident(id)}
                  onCancel=${() => setIntake(null)}
                />
              `
            : model
            ? html`
                <${DetailPanel}
                  model=${model}
                  session=${session}
                  canAct=${canAct}
                  form=${form}
                  onForm=${setForm}
                  onClose=${() => openIncident(null)}
                  onOpenIncident=${(id) => openIncident(id)}
                  units=${units}
                  timers=${timers}
                  now=${now}
                  items=${items.filter((i) => OPEN_STATUSES.includes(i.status))}
                  summary=${summary}
                  mediaOpen=${mediaOpen}
                  onMedia=${setMediaOpen}
                />
              `
            : html`<${Overview} items=${items} counts=${counts} canAct=${canAct} />`}
        </aside>
      </div>`}
      ${help && html`<${HelpOverlay} onClose=${() => setHelp(false)} />`}
    </div>
  `;
}

/** With no incident open: the queue's shape at a glance, and how to start. */
function Overview({ items, counts, canAct }) {
  const byStatus = STATUS_FILTERS.map((s) => [s, items.filter((i) => (s === 'in_progress' ? ['acknowledged', 'en_route', 'on_scene'].includes(i.status) : i.status === s)).length]);
  return html`
    <section class="overview">
      <h2 class="overview__title">${t('center.overview.title')}</h2>
      <dl class="overview__grid">
        ${byStatus.map(([s, n]) => html`<div key=${s}><dt>${t(`center.status_filters.${s}`)}</dt><dd>${n}</dd></div>`)}
        <div class=${counts.escalated ? 'overview__alert' : ''}><dt>${t('center.overview.escalated')}</dt><dd>${counts.escalated}</dd></div>
      </dl>
      <p class="muted">${canAct ? t('center.overview.hint') : t('center.detail.read_only')}</p>
    </section>
  `;
}
