// What runs behind the report screen: the device identity, the offline queue, my reports (Yjs
// documents in IndexedDB, followed live) and the announcements of what they do. Loaded by
// `import()` right after the first render (later.js), so that on a thin link the report screen
// and its send button come first; a report sent before this arrives waits in later.js.
import { t } from '../core/i18n.js';
import { ensureDevice } from '../core/device.js';
import { onOutboxChange, startOutbox } from '../core/outbox-runner.js';
import { announce } from './announcer.js';
import { syncContact } from './contact/contact.js';
import { reports } from './reports/model.js';
import { statusLabel } from './reports/status.js';
import { tracker } from './silent/tracker.js';
import { listenStatusChanges } from './status-hook.js';

export { reports };

let started = false;

/**
 * Once per page: the device identity is made if there is none yet (silently; with no network it
 * is made later, and reports written meanwhile wait for it), the queue starts sending, my
 * reports load, and the contact for call-backs goes to the server if it has not yet.
 */
export function startServices() {
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
  tracker.init();
  onOutboxChange((message) => {
    if (message.type === 'sent' && message.name.startsWith('report/')) {
      const report = reports.view(message.name.slice('report/'.length));
      // A silent report is not read aloud: a screen reader speaking could give the person away.
      if (report && !report.silent) announce(() => `${t(`citizen.categories.${report.category}.label`)}: ${t('citizen.status.sent')}`);
    }
  });
  listenStatusChanges((report) => {
    if (report.silent) return;
    announce(() =>
      t('citizen.status.changed', {
        category: t(`citizen.categories.${report.category}.label`),
        status: statusLabel(report),
      }),
    );
  });
}
