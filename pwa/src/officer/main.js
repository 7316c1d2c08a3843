import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../core/i18n.js';
import { mount } from '../core/mount.js';
import { PoliceApp } from '../core/ui/police-app.js';
import { warmCache } from './offline-ready.js';

// Every police role may use the field app: supervisors and admins go out on the street too.
const acceptsAnyPolice = () => true;

/**
 * The signed-in screens, loaded on demand: this code is only ever needed once signed in, and the
 * start screen (sign-in) must come up fast on a weak signal. Once loaded
 * it is kept for offline use (offline-ready.js).
 */
function Home(props) {
  const [Screens, setScreens] = useState(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    import('./home.js').then(
      (module) => {
        setScreens(() => module.OfficerHome);
        warmCache(true);
      },
      () => setFailed(true),
    );
  }, []);
  if (failed) {
    return html`
      <section class="card">
        <p class="notice" role="alert">${t('officer.load_failed')}</p>
        <button type="button" class="button button--primary" onClick=${() => location.reload()}>
          ${t('officer.reload')}
        </button>
      </section>
    `;
  }
  if (!Screens) return html`<p role="status">${t('officer.loading')}</p>`;
  return html`<${Screens} ...${props} />`;
}

mount(() => html`<${PoliceApp} appKey="officer" accepts=${acceptsAnyPolice} Home=${Home} />`, 'officer');
warmCache();
