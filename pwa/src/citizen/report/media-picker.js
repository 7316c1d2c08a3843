import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { t } from '../../core/i18n.js';
import { attach, MAX_FILES, NotMedia, remove } from '../media.js';
import { MediaList } from './media-list.js';

/** Photos and videos for the draft: from the camera or the gallery, kept on the phone at once. */
export function MediaPicker({ items, onChange }) {
  const [error, setError] = useState(null);

  async function add(event) {
    const files = [...event.currentTarget.files];
    event.currentTarget.value = ''; // the same file may be picked again after removing it
    setError(null);
    const room = MAX_FILES - items.length;
    if (files.length > room) setError(t('citizen.media.too_many', { n: MAX_FILES }));
    const added = [];
    const notMedia = [];
    for (const file of files.slice(0, Math.max(0, room))) {
      try {
        added.push(await attach(file));
      } catch (failure) {
        if (failure instanceof NotMedia) notMedia.push(file.name || '?');
        else setError(t('citizen.media.failed'));
      }
    }
    if (notMedia.length) setError(t('citizen.media.not_media', { names: notMedia.join(', ') }));
    onChange([...items, ...added]);
  }

  async function drop(item) {
    await remove(item.localId);
    URL.revokeObjectURL(item.preview);
    onChange(items.filter((i) => i.localId !== item.localId));
  }

  return html`
    <section class="card media" aria-labelledby="media-heading">
      <h2 class="card__heading" id="media-heading">${t('citizen.media.heading')}</h2>
      <div class="actions">
        <label class="button button--secondary file-button">
          <input
            class="visually-hidden"
            type="file"
            accept="image/*,video/*"
            capture="environment"
            onChange=${add}
          />
          ${t('citizen.media.camera')}
        </label>
        <label class="button button--secondary file-button">
          <input class="visually-hidden" type="file" accept="image/*,video/*" multiple onChange=${add} />
          ${t('citizen.media.gallery')}
        </label>
      </div>
      ${error && html`<p class="form-error" role="alert">${error}</p>`}
      <${MediaList} items=${items} onRemove=${drop} />
    </section>
  `;
}
