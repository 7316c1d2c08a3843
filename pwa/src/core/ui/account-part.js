// The sign-in's second step, the restricted screens (a forced password change, a second factor to
// set up), the set-up link and the account screen: one chunk (core/account/), fetched only when
// one of them is shown, so that neither a citizen's first visit nor the police apps' first load
// carry it. Once fetched it is cached like any asset.
import { html } from 'htm/preact';
import { t } from '../i18n.js';
import { useChunk } from '../use-chunk.js';

export const loadAccount = () => import('../account/index.js');

/** `<AccountPart name="SecondStep" ...props />`: that export of the account chunk, once loaded. */
export function AccountPart({ name, ...props }) {
  const { module, failed, retry } = useChunk(loadAccount);
  if (module) {
    const Part = module[name];
    return html`<${Part} ...${props} />`;
  }
  if (failed) {
    return html`
      <section class="card">
        <p class="form-error" role="alert">${t('police.part_failed')}</p>
        <button type="button" class="button button--primary" onClick=${retry}>${t('police.retry')}</button>
      </section>
    `;
  }
  return html`<p class="placeholder" role="status">${t('police.part_loading')}</p>`;
}
