// The report's photos and videos: small previews (`GET /media/<id>/thumb`, fetched with the
// bearer token because an <img> cannot send one), a placeholder while the server is still
// processing (asked again with a growing pause), and a larger view on click.
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { request } from '../../../core/api.js';
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

/**
 * The report's media: thumbnails of what the citizen attached, each with its capture mark, and
 * below them each upload that
 * failed for good (not a photo or video, too large, damaged, ...) with its reason in words —
 * never a broken thumbnail. The failed ones come from the server's list of the report's uploads
 * (`GET /api/reports/<id>/media`), since a phone may never name a refused file in its report.
 */
export function MediaThumbs({ reportId, ids, token, onOpen }) {
  const media = useReportMedia(reportId, token, ids);
  const failed = media.filter((m) => m.state === 'failed' && m.role !== 'preview');
  const gone = new Set(failed.map((m) => m.id));
  const shown = (ids ?? []).filter((id) => !gone.has(id));
  const capture = new Map(media.filter((m) => m.capture).map((m) => [m.id, m.capture]));
  if (!shown.length && !failed.length) return null;
  return html`
    ${shown.length > 0 && html`
      <ul class="thumbs">
        ${shown.map((id) => html`
          <li key=${id} class="thumbs__item" data-item=${id}>
            <${Thumb} id=${id} token=${token} onOpen=${onOpen} />
            <${CaptureMark} status=${capture.get(id)} />
          </li>
        `)}
      </ul>
    `}
    ${failed.length > 0 && html`
      <ul class="media-failed" aria-label=${t('center.media.failed_list', { n: failed.length })}>
        ${failed.map((m) => html`
          <li key=${m.id} class="media-failed__item" data-media=${m.id} data-reason=${m.reason_code}>
            <span class="media-failed__mark" aria-hidden="true">⚠</span>
            <span>
              <strong>${t('center.media.failed_title', { name: m.filename || m.id.slice(0, 6) })}</strong>
              <span class="media-failed__why">${t(`center.media.reasons.${REASONS.has(m.reason_code) ? m.reason_code : 'failed'}`)}</span>
            </span>
          </li>
        `)}
      </ul>
    `}
  `;
}

// Whether the server's SHA-256 of the original equals the one the phone computed when the file
// was picked (docs/evidence.md, "Hash at capture"). In words, not colour alone.
const CAPTURE_MARKS = { verified: '✓', mismatch: '⚠', none: '–' };

function CaptureMark({ status }) {
  if (!CAPTURE_MARKS[status]) return null; // not known yet: the original is still on its way
  return html`
    <span class=${`capture capture--${status}`} data-capture=${status}>
      <span aria-hidden="true">${CAPTURE_MARKS[status]} </span>${t(`center.media.capture.${status}`)}
    </span>
  `;
}

const REASONS = new Set(['not_media', 'too_large', 'damaged', 'expired', 'not_converted', 'cancelled', 'failed']);
const SETTLED = new Set(['ready', 'failed']);

/** The report's uploads (`GET /api/reports/<id>/media`), asked again while any is on its way. */
function useReportMedia(reportId, token, ids) {
  const [all, setAll] = useState([]);
  const key = (ids ?? []).join(',');
  useEffect(() => {
    if (!reportId) return undefined;
    let current = true;
    let timer = null;
    let attempt = 0;
    const load = async () => {
      let media = null;
      try {
        const body = await request(`/api/reports/${encodeURIComponent(reportId)}/media`, { token });
        media = body.media ?? [];
      } catch {
        // offline or refused: the thumbnails still say what they can; try again below
      }
      if (!current) return;
      if (media) setAll(media);
      if ((!media || media.some((m) => !SETTLED.has(m.state))) && attempt < RETRY_MS.length) {
        timer = setTimeout(load, RETRY_MS[attempt]);
        attempt += 1;
      }
    };
    load();
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [reportId, key]);
  return all;
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
