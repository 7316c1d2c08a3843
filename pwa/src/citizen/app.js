import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../core/i18n.js';
import { AppBar } from '../core/ui/app-bar.js';
import { UpdateBanner } from '../core/ui/update-banner.js';
import { useLang } from '../core/use-lang.js';
import { CategoryPicker } from './category-picker.js';
import { EmergencyNumbers } from './emergency-numbers.js';

export function CitizenApp() {
  const lang = useLang();
  const [category, setCategory] = useState(null);

  useEffect(() => {
    document.title = `${t('common.app_name')} – ${t('apps.citizen.title')}`;
  }, [lang]);

  return html`
    <${UpdateBanner} />
    <${AppBar} title=${t('apps.citizen.title')} />
    <main class="page">
      <${CategoryPicker} value=${category} onChange=${setCategory} />
      <${EmergencyNumbers} />
    </main>
  `;
}
