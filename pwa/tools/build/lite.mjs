// The script-less first paint of the citizen app (issue 23, DESIGN.md "First paint without
// JavaScript"): the emergency numbers and a plain <form method="post"> inside #app, so a phone
// whose script has not arrived (or never runs: Opera Mini, KaiOS) can call or report.
//
// The server fills in what differs per response (app/web/lite.py): a random form id (a double
// tap makes one report), the ward options, a refusal and what was typed. The placeholders below
// are that contract. The CSS is inlined, its hash handed to the server's CSP in lite.json.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { write } from './files.mjs';

export const LITE_JSON = 'lite.json';
const CATEGORIES = ['crime', 'traffic', 'fire', 'other'];
const CALLS = [
  ['113', 'emergency.police'],
  ['114', 'emergency.fire'],
  ['115', 'emergency.ambulance'],
];

const esc = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The CSS without comments and line breaks: it travels in every first visit's HTML. */
export function liteCss(root) {
  return readFileSync(join(root, 'src', 'lite', 'lite.css'), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .map((line) => line.trim())
    .join('');
}

export const styleHash = (css) => `'sha256-${createHash('sha256').update(css).digest('base64')}'`;

/** The bar and the numbers: the same on the form and on the status page. */
function top(s) {
  const calls = CALLS.map(
    ([number, key]) => `<li><a href="tel:${number}"><b>${number}</b>${esc(s(key))}</a></li>`,
  ).join('');
  return `<header class="lite-bar"><h1>${esc(s('common.app_name'))}</h1></header>
<main class="lite-main">
<section class="lite-calls" aria-label="${esc(s('emergency.heading'))}"><p>${esc(s('emergency.heading'))}</p><ul>${calls}</ul></section>`;
}

/** The form page's body, placeholders left for the server. */
export function liteForm(s) {
  const choices = CATEGORIES.map(
    (c) => `<label class="lite-choice"><input type="radio" name="category" value="${c}" required>${esc(s(`citizen.categories.${c}.label`))}</label>`,
  ).join('\n');
  return `<div class="lite">
${top(s)}
<h2>${esc(s('lite.title'))}</h2>
<!--sos:notice-->
<form method="post" action="/" class="lite-form">
<input type="hidden" name="form_id" value="__SOS_FORM_ID__">
<fieldset><legend>${esc(s('lite.category'))}</legend>
<div class="lite-choices">
${choices}
</div>
</fieldset>
<label class="lite-label" for="lite-description">${esc(s('lite.description'))}</label>
<textarea id="lite-description" name="description" maxlength="4000" placeholder="${esc(s('lite.description_hint'))}">__SOS_DESCRIPTION__</textarea>
<label class="lite-label" for="lite-ward">${esc(s('lite.ward'))}</label>
<select id="lite-ward" name="ward"><option value="">${esc(s('lite.ward_unknown'))}</option><!--sos:wards--></select>
<button class="lite-send" type="submit">${esc(s('lite.send'))}</button>
</form>
</main>
</div>`;
}

/** What the server needs to render the status and refusal pages in the same look. */
export function writeLiteJson(outdir, root, strings) {
  const css = liteCss(root);
  const s = strings.vi;
  const keys = (prefix, names) => Object.fromEntries(names.map((n) => [n, s(`${prefix}.${n}`)]));
  const data = {
    css,
    style_hash: styleHash(css),
    top: top(s),
    title: s('lite.title'),
    app_name: s('common.app_name'),
    categories: Object.fromEntries(CATEGORIES.map((c) => [c, s(`citizen.categories.${c}.label`)])),
    reasons: keys('citizen.status.reasons', ['spam', 'false', 'not_police', 'other']),
    errors: keys('lite.errors', ['heading', 'category', 'description_empty', 'description_long', 'ward',
      'origin', 'form', 'rate_limited', 'unavailable']),
    status: keys('lite.status', ['title', 'new', 'received', 'in_progress', 'done', 'not_handled', 'merged',
      'sent_at', 'code', 'refresh', 'again', 'not_found', 'keep']),
    reason: s('citizen.status.reason'),
  };
  write(join(outdir, LITE_JSON), `${JSON.stringify(data, null, 1)}\n`);
  return data;
}
