// The statistics page (/center/stats): filters in the address bar, then the live overview, the
// response times, the server's charts, the map of the period and, for supervisors, the audit log.
// Loaded on demand after sign-in, like the console; everything is read from /api/stats/*.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { LanguageSwitch } from '../../core/ui/language-switch.js';
import { useLang } from '../../core/use-lang.js';
import { AuditSection } from './audit.js';
import { ChartsSection } from './charts.js';
import { loadUnits } from './data.js';
import { FilterForm, summaryLine } from './filter-form.js';
import { fromLocation, toSearch } from './filters.js';
import { t } from './i18n.js';
import { MapSection } from './map-section.js';
import { OverviewSection } from './overview.js';
import { ResponseSection } from './response-times.js';
import pinCss from '../../core/pin.css' with { type: 'text' };
import { categoryCss } from '../../core/category-markup.js';
import { adoptStyles } from './styles.js';

adoptStyles();
// The map legend's pins: the console's shapes, icons and colours (core/categories.json). Not in
// styles.js: the map's Leaflet chunk imports that, and must not reach the apps' shared modules.
adoptStyles([pinCss, categoryCss((c) => `.pin--${c}`)].join('\n'));

const AUDITORS = new Set(['supervisor', 'admin']);

export function StatsPage({ session, onSignOut }) {
  useLang(); // every string and every figure's labels follow the language switch
  const [filters, setFilters] = useState(fromLocation);
  const [units, setUnits] = useState([]);
  const token = session.token;

  useEffect(() => {
    document.documentElement.classList.add('center-stats');
    loadUnits(token).then(setUnits, () => {});
    const onPop = () => setFilters(fromLocation());
    addEventListener('popstate', onPop);
    return () => {
      document.documentElement.classList.remove('center-stats');
      removeEventListener('popstate', onPop);
    };
  }, []);

  function apply(next) {
    setFilters(next);
    const search = toSearch(next);
    if (search !== location.search) history.pushState(null, '', `${location.pathname}${search}`);
  }

  const summary = summaryLine(filters, units);
  return html`
    <div class="stats" data-filters=${toSearch(filters)}>
      <header class="stats-bar">
        <h1 class="stats-bar__title">
          <span class="stats-bar__brand">${t('common.app_name')}</span>
          ${t('stats.title')}
        </h1>
        <nav class="stats-bar__tools">
          <a class="stats-tool" href="/center/">← ${t('stats.back')}</a>
          <button type="button" class="stats-tool stats-tool--primary" onClick=${() => print()}>${t('stats.print')}</button>
          <${LanguageSwitch} />
          <span class="stats-bar__user">${session.user.username} · ${t(`police.roles.${session.user.role}`)}</span>
          <button type="button" class="stats-tool stats-tool--quiet" onClick=${onSignOut}>${t('stats.sign_out')}</button>
        </nav>
      </header>
      <${FilterForm} filters=${filters} units=${units} onApply=${apply} />
      <p class="stats-summary" data-testid="summary">
        <strong>${t('stats.title')}</strong> · ${summary}
      </p>
      <${OverviewSection} filters=${filters} token=${token} />
      <${ResponseSection} filters=${filters} token=${token} onGroup=${(group) => apply({ ...filters, group })} />
      <${ChartsSection} filters=${filters} summary=${summary} />
      <${MapSection} filters=${filters} token=${token} />
      ${AUDITORS.has(session.user.role) && html`<${AuditSection} filters=${filters} token=${token} />`}
    </div>
  `;
}
