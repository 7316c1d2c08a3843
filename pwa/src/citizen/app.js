import { html } from 'htm/preact';
import { useEffect } from 'preact/hooks';
import { t } from '../core/i18n.js';
import { AppBar } from '../core/ui/app-bar.js';
import { UpdateBanner } from '../core/ui/update-banner.js';
import { useLang } from '../core/use-lang.js';
import { Announcer } from './announcer.js';
import { ContactForm } from './contact/contact-form.js';
import { InstallButton } from './install-button.js';
import { LaterScreen, loadServices } from './later.js';
import { ReportScreen } from './report/report-screen.js';
import { useRoute } from './router.js';
import { startWarnings, WarningsRoute } from './warnings/entry.js';

const TABS = [
  { screen: 'new', href: '#/', key: 'report' },
  { screen: 'reports', href: '#/reports', key: 'mine' },
  { screen: 'warnings', href: '#/warnings', key: 'warnings' },
  { screen: 'contact', href: '#/contact', key: 'contact' },
];

export function CitizenApp() {
  const lang = useLang();
  const route = useRoute();
  // After the first render: the screen and its send button are up before Yjs and the queue.
  useEffect(() => {
    loadServices()
      .catch(() => {}) // offline before it was cached: a send or a screen asks again
      .then(startWarnings); // after them: the send button first on a slow link
  }, []);

  useEffect(() => {
    document.title = `${t('common.app_name')} – ${t('apps.citizen.title')}`;
  }, [lang]);

  // Moving between screens puts the reader at the top of the new one.
  useEffect(() => scrollTo(0, 0), [route.screen, route.id]);

  // After a silent report: the dim plain screen alone, no bar or tabs that say what app this is.
  useEffect(() => document.body.classList.toggle('quiet-mode', route.screen === 'quiet'), [route.screen]);
  if (route.screen === 'quiet') {
    return html`<main class="page page--quiet"><${LaterScreen} name="QuietScreen" id=${route.id} key=${route.id} /></main>`;
  }

  let screen;
  if (route.screen === 'report') screen = html`<${LaterScreen} name="ReportDetailScreen" id=${route.id} key=${route.id} />`;
  else if (route.screen === 'reports') screen = html`<${LaterScreen} name="ReportsScreen" />`;
  else if (route.screen.startsWith('warning')) screen = html`<${WarningsRoute} route=${route} />`;
  else if (route.screen === 'contact') screen = html`<${ContactForm} />`;
  else screen = html`<${ReportScreen} />`;

  const current = route.screen === 'report' ? 'reports' : route.screen.startsWith('warning') ? 'warnings' : route.screen;
  return html`
    <${UpdateBanner} />
    <${AppBar} title=${t('apps.citizen.title')} />
    <nav class="tabs" aria-label=${t('citizen.nav.label')}>
      ${TABS.map(
        (tab) => html`
          <a
            key=${tab.key}
            class="tabs__tab"
            href=${tab.href}
            aria-current=${tab.screen === current ? 'page' : undefined}
          >${t(`citizen.nav.${tab.key}`)}</a>
        `,
      )}
    </nav>
    <main class="page">
      ${screen}
      <${InstallButton} />
    </main>
    <${Announcer} />
  `;
}
