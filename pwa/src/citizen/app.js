import { html } from 'htm/preact';
import { useEffect } from 'preact/hooks';
import { t } from '../core/i18n.js';
import { ensureDevice } from '../core/device.js';
import { onOutboxChange, startOutbox } from '../core/outbox-runner.js';
import { AppBar } from '../core/ui/app-bar.js';
import { UpdateBanner } from '../core/ui/update-banner.js';
import { useLang } from '../core/use-lang.js';
import { Announcer, announce } from './announcer.js';
import { ContactForm } from './contact/contact-form.js';
import { syncContact } from './contact/contact.js';
import { InstallButton } from './install-button.js';
import { ReportScreen } from './report/report-screen.js';
import { ReportDetailScreen } from './reports/detail-screen.js';
import { ReportsScreen } from './reports/list-screen.js';
import { reports } from './reports/model.js';
import { statusLabel } from './reports/status.js';
import { useRoute } from './router.js';
import { listenStatusChanges } from './status-hook.js';
import { startWarnings, WarningsRoute } from './warnings/entry.js';

let started = false;

/**
 * Once per page: the device identity is made if there is none yet (silently; with no network it
 * is made later, and reports written meanwhile wait for it), the queue starts sending, my
 * reports load, and the contact for call-backs goes to the server if it has not yet.
 */
function startServices() {
  if (started) return;
  started = true;
  const background = () => {
    ensureDevice()
      .then(() => syncContact())
      .catch(() => {}); // offline or rate-limited: the next start, `online` or send tries again
  };
  background();
  addEventListener('online', background);
  startOutbox();
  reports.start();
  startWarnings();
  onOutboxChange((message) => {
    if (message.type === 'sent' && message.name.startsWith('report/')) {
      const report = reports.view(message.name.slice('report/'.length));
      if (report) announce(() => `${t(`citizen.categories.${report.category}.label`)}: ${t('citizen.status.sent')}`);
    }
  });
  listenStatusChanges((report) => {
    announce(() =>
      t('citizen.status.changed', {
        category: t(`citizen.categories.${report.category}.label`),
        status: statusLabel(report),
      }),
    );
  });
}

const TABS = [
  { screen: 'new', href: '#/', key: 'report' },
  { screen: 'reports', href: '#/reports', key: 'mine' },
  { screen: 'warnings', href: '#/warnings', key: 'warnings' },
  { screen: 'contact', href: '#/contact', key: 'contact' },
];

export function CitizenApp() {
  const lang = useLang();
  const route = useRoute();
  useEffect(startServices, []);

  useEffect(() => {
    document.title = `${t('common.app_name')} – ${t('apps.citizen.title')}`;
  }, [lang]);

  // Moving between screens puts the reader at the top of the new one.
  useEffect(() => scrollTo(0, 0), [route.screen, route.id]);

  let screen;
  if (route.screen === 'report') screen = html`<${ReportDetailScreen} id=${route.id} key=${route.id} />`;
  else if (route.screen === 'reports') screen = html`<${ReportsScreen} />`;
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
