// Accounts from a CSV file (username, display_name, role, unit, phone): checked whole by the
// server. A bad row refuses the file, and every bad row is listed; nothing was written. A good
// file gives a one-time set-up link per account, offered here as a CSV file made in the browser:
// the server keeps only the links' hashes, so this is the only time they can be had.
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../../../core/ui/errors.js';
import { has, t } from './i18n.js';
import { CSV_HEADER, linksCsv, uploadCsv } from './model.js';
import { when } from './parts.js';

export function ImportPanel({ token, links, onDone, onDownloaded, onClose }) {
  const [file, setFile] = useState(null);
  const [progress, setProgress] = useState(null); // 0..1 while uploading
  const [outcome, setOutcome] = useState(null); // {rows} | {created, credentials} | {error}
  const result = useRef(null);

  async function upload(event) {
    event.preventDefault();
    if (!file || progress !== null) return;
    setOutcome(null);
    setProgress(0);
    try {
      const { status, body } = await uploadCsv(token, file, setProgress);
      if (status === 201) {
        setOutcome({ created: true });
        onDone({ created: body?.created ?? 0, credentials: body?.credentials ?? [], downloaded: false });
      } else if (status === 422 && Array.isArray(body?.rows)) setOutcome({ rows: body.rows });
      else setOutcome({ error: describeError({ status, code: body?.error ?? 'http', refusal: body?.code, message: body?.message }) });
    } catch {
      setOutcome({ error: t('admin.import.network') });
    } finally {
      setProgress(null);
    }
  }
  useEffect(() => {
    if (outcome) result.current?.focus();
  }, [outcome]);

  return html`
    <section class="a-panel" aria-labelledby="a-import-title" data-panel="import">
      <div class="a-panel__head">
        <h2 class="a-panel__title" id="a-import-title">${t('admin.import.title')}</h2>
        <button type="button" class="button button--secondary button--small" onClick=${onClose}>${t('admin.close')}</button>
      </div>
      <p>${t('admin.import.what')}</p>
      <p class="a-csv-head">${t('admin.import.columns')} <code>${CSV_HEADER}</code></p>
      <form class="a-form" onSubmit=${upload} aria-busy=${progress !== null ? 'true' : 'false'}>
        <div class="a-field">
          <label class="a-field__label" for="a-import-file">${t('admin.import.file')}</label>
          <input type="file" id="a-import-file" accept=".csv,text/csv" disabled=${progress !== null}
            onChange=${(e) => { setFile(e.currentTarget.files?.[0] ?? null); setOutcome(null); }} />
        </div>
        <div class="a-actions">
          <button type="submit" class="button button--primary" disabled=${!file || progress !== null}>
            ${progress !== null ? t('admin.import.uploading') : t('admin.import.submit')}
          </button>
        </div>
        ${progress !== null && html`
          <div class="a-progress" role="status">
            <progress max="100" value=${Math.round(progress * 100)} aria-label=${t('admin.import.progress')}></progress>
            <span>${progress < 1 ? t('admin.import.sent', { p: Math.round(progress * 100) }) : t('admin.import.checking')}</span>
          </div>`}
      </form>
      <div class="a-outcome" ref=${result} tabindex="-1">
        ${outcome?.rows && html`<${BadRows} rows=${outcome.rows} />`}
        ${outcome?.created && links && html`<${Links} links=${links} onDownloaded=${onDownloaded} />`}
        ${outcome?.error && html`<p class="form-error" role="alert">${outcome.error}</p>`}
      </div>
    </section>
  `;
}

function BadRows({ rows }) {
  return html`
    <div class="a-bad" data-outcome="invalid">
      <p class="form-error" role="alert"><strong>${t('admin.import.refused', { n: rows.length })}</strong> ${t('admin.import.nothing_written')}</p>
      <table class="a-table a-table--rows">
        <thead><tr><th scope="col" class="num">${t('admin.import.line')}</th><th scope="col">${t('admin.import.field')}</th><th scope="col">${t('admin.import.message')}</th></tr></thead>
        <tbody>
          ${rows.map((r, i) => html`<tr key=${i} data-line=${r.line}><td class="num">${r.line}</td><td><code>${r.field ?? '–'}</code>${has(`admin.import.fields.${r.field}`) && html` ${t(`admin.import.fields.${r.field}`)}`}</td><td lang="en">${r.message}</td></tr>`)}
        </tbody>
      </table>
    </div>
  `;
}

/** The links as a file, made from the answer in memory; a link to the data, revoked when gone. */
export function Links({ links, onDownloaded, brief = false }) {
  const { created, credentials } = links;
  const [url, setUrl] = useState(null);
  useEffect(() => {
    const made = URL.createObjectURL(new Blob([linksCsv(credentials)], { type: 'text/csv;charset=utf-8' }));
    setUrl(made);
    // Later, not at once: the strip that offered it goes as the download starts.
    return () => setTimeout(() => URL.revokeObjectURL(made), 60_000);
  }, [credentials]);
  const expires = credentials[0]?.expires;
  const download = url && html`
    <a class="button button--primary" href=${url} download="sos-setup-links.csv" data-action="download-links" onClick=${onDownloaded}>
      ${t('admin.import.download', { n: credentials.length })}</a>`;
  if (brief) {
    return html`
      <div class="a-warn a-pending" role="alert" data-outcome="pending">
        <span><strong>${t('admin.import.pending', { n: credentials.length })}</strong> ${t('admin.import.once')}</span>
        ${download}
      </div>`;
  }
  return html`
    <div class="a-links" data-outcome="created">
      <p class="a-done" role="status">${t('admin.import.created', { n: created })}</p>
      <p class="a-warn"><strong>${t('admin.import.once_title')}</strong> ${t('admin.import.once')}</p>
      ${expires && html`<p class="muted">${t('admin.import.expires', { at: when(expires) })}</p>`}
      ${download}
      ${links.downloaded && html`<p class="a-done">${t('admin.import.downloaded')}</p>`}
    </div>
  `;
}
