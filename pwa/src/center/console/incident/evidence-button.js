// The case bundle (issue 27): supervisors and admins download the incident's signed evidence.zip
// (originals, timeline, custody record, manifest and signature; docs/evidence.md). The console
// signs in with a bearer token, which a plain link cannot send: the zip is fetched, then handed to
// the browser as a download from an object URL.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { HttpError, httpError } from '../../../core/http-error.js';
import { describeError } from '../../../core/ui/errors.js';
import { t } from '../i18n.js';

export const EXPORTERS = ['supervisor', 'admin'];

async function fetchBundle(incidentId, token) {
  let response;
  try {
    response = await fetch(`/api/incidents/${encodeURIComponent(incidentId)}/evidence.zip`, {
      headers: { Authorization: `Bearer ${token}` },
      credentials: 'same-origin',
    });
  } catch {
    throw new HttpError(0, 'network', null);
  }
  if (!response.ok) throw await httpError(response);
  return response.blob();
}

function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  // Later, not at once: some browsers read the URL after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function EvidenceButton({ incidentId, role, token }) {
  const [state, setState] = useState({ busy: false, done: false, error: null });
  if (!EXPORTERS.includes(role)) return null;
  async function download() {
    setState({ busy: true, done: false, error: null });
    try {
      save(await fetchBundle(incidentId, token), `sos-evidence-${incidentId}.zip`);
      setState({ busy: false, done: true, error: null });
    } catch (failure) {
      setState({ busy: false, done: false, error: describeError(failure) });
    }
  }
  return html`
    <div class="evidence" data-part="evidence">
      <button type="button" class="button button--secondary" data-action="evidence-bundle" disabled=${state.busy} onClick=${download}>
        ${state.busy ? t('center.evidence.busy') : t('center.evidence.button')}
      </button>
      <p class="evidence__hint">${t('center.evidence.hint')}</p>
      <p class="evidence__status" role="status">${state.done ? t('center.evidence.done') : ''}</p>
      ${state.error && html`<p class="form-error" role="alert">${state.error}</p>`}
    </div>
  `;
}
