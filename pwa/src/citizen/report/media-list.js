import { html } from 'htm/preact';
import { t } from '../../core/i18n.js';
import { isVideo } from '../media.js';

/**
 * Thumbnails with their upload state and a progress bar. `progress`: localId -> fraction, for
 * files being uploaded now. `onRemove`: only while the report is a draft.
 */
export function MediaList({ items, progress = {}, onRemove }) {
  if (!items.length) return null;
  return html`
    <ul class="media-list">
      ${items.map((item) => {
        const fraction = item.state === 'uploaded' ? 1 : (progress[item.localId] ?? 0);
        const uploading = item.localId in progress && item.state !== 'uploaded';
        const label =
          item.state === 'uploaded'
            ? t('citizen.media.uploaded')
            : item.state === 'refused'
              ? t('citizen.media.refused')
              : uploading
              ? t('citizen.media.uploading', { pct: Math.round(fraction * 100) })
              : t('citizen.media.waiting');
        const kind = isVideo(item) ? t('citizen.media.video') : t('citizen.media.photo');
        return html`
          <li class="media-item" key=${item.localId}>
            ${isVideo(item)
              ? html`<video class="media-item__thumb" src=${item.preview} muted playsinline preload="metadata" aria-label=${kind}></video>`
              : html`<img class="media-item__thumb" src=${item.preview} alt=${kind} />`}
            <div class="media-item__info">
              <span class="media-item__name">${item.name || kind}</span>
              <progress class="media-item__progress" max="100" value=${Math.round(fraction * 100)} aria-label=${label}></progress>
              <span class="media-item__state">${label}</span>
            </div>
            ${onRemove &&
            html`<button
              type="button"
              class="button button--secondary media-item__remove"
              aria-label=${t('citizen.media.remove', { name: item.name || kind })}
              onClick=${() => onRemove(item)}
            >✕</button>`}
          </li>
        `;
      })}
    </ul>
  `;
}
