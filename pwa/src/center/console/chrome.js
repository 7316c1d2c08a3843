// The console's frame: the top bar, the alert strip that nobody can overlook, the help overlay.
import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { LanguageSwitch } from '../../core/ui/language-switch.js';
import { accountLabel, EnrolReminder } from '../../core/ui/enrol-reminder.js';
import { OnlineStatus } from '../../core/ui/online-status.js';
import { categoryLabel, clock, unitName } from './format.js';
import { t } from './i18n.js';

export function TopBar({ user, now, counts, sound, onSound, push, onPush, onHelp, onCall, onSignOut, screen = 'queue' }) {
  return html`
    <header class="topbar">
      <h1 class="topbar__brand">
        <span class="topbar__name">${t('common.app_name')}</span>
        <span class="topbar__app">${t('apps.center.title')}</span>
      </h1>
      <time class="topbar__clock" aria-label=${t('center.top.clock')}>${clock(now)}</time>
      <ul class="topbar__counts" aria-label=${t('center.top.counts')}>
        <li class=${counts.unseen ? 'count count--alert' : 'count'}><strong>${counts.new}</strong> ${t('center.top.new')}</li>
        <li class=${counts.escalated ? 'count count--alert' : 'count'}><strong>${counts.escalated}</strong> ${t('center.top.escalated')}</li>
        <li class="count"><strong>${counts.open}</strong> ${t('center.top.open')}</li>
      </ul>
      <div class="topbar__tools">
        ${onCall && html`
          <button type="button" class="tool tool--call" onClick=${onCall} data-action="phone-intake">
            ${t('center.intake.open')}
          </button>
        `}
        <button
          type="button"
          class=${sound.muted ? 'tool tool--off' : sound.blocked ? 'tool tool--warn' : 'tool'}
          aria-pressed=${sound.muted ? 'false' : 'true'}
          onClick=${onSound}
          title=${t('center.sound.hint')}
        >
          <span aria-hidden="true">${sound.muted ? '🔇' : '🔊'}</span>
          ${sound.muted ? t('center.sound.off') : sound.blocked ? t('center.sound.blocked') : t('center.sound.on')}
        </button>
        ${push.state !== 'unsupported' && html`
          <button
            type="button"
            class=${push.state === 'on' ? 'tool' : 'tool tool--off'}
            disabled=${push.state === 'on' || push.state === 'denied' || push.busy}
            onClick=${onPush}
            title=${t(`center.push.hint_${push.state}`)}
          >
            ${t(`center.push.${push.state}`)}
          </button>
        `}
        ${screen !== 'queue' && html`<a class="tool tool--screen" href="#/" data-nav="queue"><span aria-hidden="true">←</span> ${t('center.top.queue')}</a>`}
        ${screen !== 'warnings' && html`<a class="tool tool--screen" href="#/warnings" data-nav="warnings">${t('center.top.warnings')}</a>`}
        ${user.role === 'admin' && screen !== 'admin' && html`<a class="tool tool--screen" href="#/admin" data-nav="admin">${t('center.top.admin')}</a>`}
        <a class="tool" href="/center/stats">${t('center.top.stats')}</a>
        <button type="button" class="tool" onClick=${onHelp} aria-keyshortcuts="?">${t('center.top.help')} <kbd>?</kbd></button>
        <${OnlineStatus} />
        <${LanguageSwitch} />
        <a class="topbar__user" href="#/account" data-nav="account" title=${accountLabel()}
          aria-current=${screen === 'account' ? 'page' : undefined}>
          <span class="user-card__name">${user.username}</span>
          <span class="topbar__role">${t(`police.roles.${user.role}`)}</span>
        </a>
        <button type="button" class="tool tool--quiet" onClick=${onSignOut}>${t('police.sign_out')}</button>
      </div>
    </header>
  `;
}

/** The strip under the bar: new reports, escalations, a lost queue connection, a lost session. */
export function AlertStrip({ unseen, escalated, status, denied, unconfirmed, sound, units, user, onOpen, onSeenAll, onSignOut }) {
  const lines = [];
  // A second factor due by a date (inside the grace): until set up, or put off for this tab.
  if (user) lines.push(html`<${EnrolReminder} key="enrol" user=${user} className="strip strip--notice" />`);
  if (denied?.code === 4401) {
    lines.push(html`
      <div class="strip strip--danger" role="alert" key="session">
        <span>${t('center.alerts.session_ended')}</span>
        <button type="button" class="button button--light button--small" onClick=${onSignOut}>${t('center.alerts.sign_in_again')}</button>
      </div>
    `);
  } else if (denied) {
    lines.push(html`<div class="strip strip--danger" role="alert" key="denied">${t('center.alerts.queue_denied')}</div>`);
  } else if (status === 'offline') {
    lines.push(html`<div class="strip strip--danger" role="alert" key="offline">${t('center.alerts.queue_offline')}</div>`);
  }
  if (unconfirmed) lines.push(html`<div class="strip strip--notice" key="unconfirmed">${t('police.offline_session')}</div>`);
  if (unseen.length) {
    const newest = unseen.reduce((a, b) => (b.arrived_at > a.arrived_at ? b : a));
    lines.push(html`
      <div class="strip strip--new" role="alert" key="new" data-alert="new">
        <strong class="strip__count">${t('center.alerts.new', { n: unseen.length })}</strong>
        <span>
          ${t('center.alerts.newest', {
            category: categoryLabel(newest.category),
            ward: newest.ward_name ?? t('center.queue.no_ward'),
          })}
        </span>
        <button type="button" class="button button--light button--small" onClick=${() => onOpen(newest.id)}>${t('center.alerts.open')}</button>
        <button type="button" class="button button--ghost button--small" onClick=${onSeenAll}>${t('center.alerts.seen_all')}</button>
        ${sound.blocked && !sound.muted && html`<span class="strip__hint">${t('center.sound.blocked_hint')}</span>`}
      </div>
    `);
  }
  if (escalated.length) {
    const first = escalated[0];
    const [code, unit] = String(first.escalation ?? '').split(':');
    const why = first.escalation
      ? code === 'not_acknowledged'
        ? t('center.escalation.not_acknowledged', { unit: unitName(unit, units) })
        : t('center.escalation.not_triaged')
      : t('center.escalation.need_support');
    lines.push(html`
      <div class="strip strip--escalated" role="alert" key="escalated" data-alert="escalated">
        <strong class="strip__count">▲ ${t('center.alerts.escalated', { n: escalated.length })}</strong>
        <span>${categoryLabel(first.category)} · ${first.ward_name ?? '–'} · ${why}</span>
        <button type="button" class="button button--light button--small" onClick=${() => onOpen(first.id)}>${t('center.alerts.open')}</button>
      </div>
    `);
  }
  // Each strip is its own alert; nothing in them ticks, so a screen reader says each news once.
  return html`<div class="strips">${lines}</div>`;
}

export const SHORTCUTS = [
  ['j ↓', 'next'],
  ['k ↑', 'previous'],
  ['Enter', 'open'],
  ['v', 'verify'],
  ['d', 'dispatch'],
  ['r', 'reject'],
  ['g', 'merge'],
  ['m', 'message'],
  ['n', 'note'],
  ['c', 'close'],
  ['o', 'reopen'],
  ['f', 'filters'],
  ['s', 'sound'],
  ['Ctrl+Enter', 'send'],
  ['Esc', 'escape'],
  ['?', 'help'],
];

export function HelpOverlay({ onClose }) {
  const box = useRef(null);
  useEffect(() => box.current?.querySelector('button')?.focus(), []);
  return html`
    <div class="overlay" role="dialog" aria-modal="true" aria-labelledby="help-title" onClick=${onClose}>
      <div class="overlay__box" ref=${box} onClick=${(e) => e.stopPropagation()}>
        <h2 id="help-title" class="overlay__title">${t('center.help.title')}</h2>
        <dl class="shortcuts">
          ${SHORTCUTS.map(
            ([keys, name]) => html`
              <div key=${name}>
                <dt>${keys.split(' ').map((k) => html`<kbd key=${k}>${k}</kbd> `)}</dt>
                <dd>${t(`center.help.keys.${name}`)}</dd>
              </div>
            `,
          )}
        </dl>
        <p class="muted">${t('center.help.order')}</p>
        <button type="button" class="button button--primary" onClick=${onClose}>${t('center.actions.close_view')} <kbd>Esc</kbd></button>
      </div>
    </div>
  `;
}
