// The report's photos and videos: small previews (`GET /media/<id>/thumb`, fetched with the
// bearer token because an <img> cannot send one), a placeholder while the server is still
// processing (asked again with a growing pause), and a larger view on click.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { t } from '../i18n.js';

const RETRY_MS = [2_000, 4_000, 8_000, 15_000, 30_000];
// Thumbnails (a few KB each) are kept for the page's life, so reopening an incident shows them at
// once; the large views are let go when closed, or a long shift would pile them up in memory.
const thumbs = new Map(); // media id -> object URL

async function fetchBlob(token, id, variant) {
  if (variant === 'thumb' && thumbs.has(id)) return { url: thumbs.get(id) };
  let response;
  try {
    response = await fetch(`/media/${encodeURIComponent(id)}/${variant}`, {
      headers: { Authorization: `Bearer ${token}` },
      credentials: 'same-origin',
    });
  } catch {
    return { state: 'offline' };
  }
  if (response.ok) {
    const url = URL.createObjectURL(await response.blob());
    if (variant === 'thumb') thumbs.set(id, url);
    return { url };
  }
  if (response.status === 410) return { state: 'failed' };
  if (response.status === 403) return { state: 'forbidden' };
  return { state: 'waiting' }; // 404 not ready yet (or the media service is not deployed)
}

export function MediaThumbs({ ids, token, onOpen }) {
  if (!ids?.length) return null;
  return html`
    <ul class="thumbs">
      ${ids.map((id) => html`<li key=${id}><${Thumb} id=${id} token=${token} onOpen=${onOpen} /></li>`)}
    </ul>
  `;
}

function Thumb({ id, token, onOpen }) {
  const [shown, setShown] = useState({ state: 'loading' });
  useEffect(() => {
    let current = true;
    let timer = null;
    let attempt = 0;
    const load = async () => {
      const result = await fetchBlob(token, id, 'thumb');
      if (!current) return;
      setShown(result);
      if ((result.state === 'waiting' || result.state === 'offline') && attempt < RETRY_MS.length) {
        timer = setTimeout(load, RETRY_MS[attempt]);
        attempt += 1;
      }
    };
    load();
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [id]);
  const label = t('center.media.item', { id: id.slice(0, 6) });
  if (shown.url) {
    return html`
      <button type="button" class="thumb" onClick=${() => onOpen(id)} aria-label=${label}>
        <img src=${shown.url} alt=${label} />
      </button>
    `;
  }
  return html`<span class=${`thumb thumb--placeholder thumb--${shown.state}`} data-media=${id}>${t(`center.media.${shown.state}`)}</span>`;
}

/** The large view: the photo, or the video with its controls. */
export function MediaViewer({ id, token, onClose }) {
  const [view, setView] = useState({ state: 'loading' });
  useEffect(() => {
    let current = true;
    let shown = null;
    (async () => {
      let type = 'image';
      try {
        const response = await fetch(`/media/${encodeURIComponent(id)}`, {
          headers: { Authorization: `Bearer ${token}` },
        });
        if (response.ok) type = (await response.json()).type ?? 'image';
      } catch {
        // shown as a photo; a failure below says so
      }
      const result = await fetchBlob(token, id, type === 'video' ? 'video' : 'display');
      shown = result.url;
      if (current) setView({ ...result, type });
      else if (shown) URL.revokeObjectURL(shown);
    })();
    return () => {
      current = false;
      if (shown) URL.revokeObjectURL(shown);
    };
  }, [id]);
  return html`
    <div class="overlay" role="dialog" aria-modal="true" aria-label=${t('center.media.viewer')} onClick=${onClose}>
      <div class="overlay__box overlay__box--media" onClick=${(e) => e.stopPropagation()}>
        ${view.url && view.type === 'video' && html`<video src=${view.url} controls autoplay></video>`}
        ${view.url && view.type !== 'video' && html`<img src=${view.url} alt=${t('center.media.viewer')} />`}
        ${!view.url && html`<p class="muted">${t(`center.media.${view.state}`)}</p>`}
        <button type="button" class="button button--secondary" onClick=${onClose}>${t('center.actions.close_view')} <kbd>Esc</kbd></button>
      </div>
    </div>
  `;
}
