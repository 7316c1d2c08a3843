// The HTML shells of the three apps and the offline page. No inline script or style anywhere:
// the Content-Security-Policy the server sends forbids both.
import { join } from 'node:path';
import { APPS } from './apps.mjs';
import { write } from './files.mjs';
import { liteCss, liteForm } from './lite.mjs';
import { MANIFEST_NAME } from './manifests.mjs';

export const OFFLINE_PAGE = 'offline.html';

const esc = (text) =>
  String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function head({ title, description, theme, manifest, icons, css, js, preload, inlineCss }) {
  const lines = [
    '<meta charset="utf-8">',
    // No `user-scalable=no`: people must be able to zoom (WCAG 1.4.4).
    '<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">',
    `<title>${esc(title)}</title>`,
    `<meta name="description" content="${esc(description)}">`,
    `<meta name="theme-color" content="${theme}">`,
    manifest && `<link rel="manifest" href="${manifest}">`,
    `<link rel="icon" type="image/png" sizes="192x192" href="${icons.any}">`,
    // iOS puts transparent corners on black: the full-bleed maskable icon fits its own mask.
    `<link rel="apple-touch-icon" href="${icons.maskable}">`,
    // The citizen page paints its inlined first-paint CSS at once and takes the app's stylesheet
    // at the end of <body> (below): a head stylesheet would keep the page blank until it arrived.
    inlineCss ? `<style>${inlineCss}</style>` : `<link rel="stylesheet" href="${css}">`,
    ...(preload ?? []).map((url) => `<link rel="modulepreload" href="${url}">`),
    js && `<script type="module" src="${js}"></script>`,
  ];
  return lines.filter(Boolean).join('\n');
}

export function writeShells(root, outdir, bundles, icons, strings) {
  const { vi } = strings;
  for (const app of APPS) {
    const bundle = bundles.apps[app.key];
    // The citizen app's "/" works before (and without) its script: see lite.mjs.
    const lite = app.key === 'citizen';
    const body = lite
      ? `<div id="app">${liteForm(vi)}</div>\n<link rel="stylesheet" href="${bundle.css}">`
      : `<div id="app"><noscript><p class="notice">${esc(vi('common.noscript'))}</p></noscript></div>`;
    const page = `<!doctype html>
<html lang="vi">
<head>
${head({
  title: vi(`apps.${app.key}.name`),
  description: vi(`apps.${app.key}.description`),
  theme: app.themeColor,
  manifest: `${app.path}${MANIFEST_NAME}`,
  icons: { any: icons[`${app.key}-192.png`], maskable: icons[`${app.key}-maskable-192.png`] },
  ...bundle,
  inlineCss: lite ? liteCss(root) : undefined,
})}
</head>
<body>
${body}
</body>
</html>
`;
    write(join(outdir, app.path, 'index.html'), page);
  }
  writeOfflinePage(outdir, bundles.offlineCss, icons, strings);
}

// Shown by the service worker for any URL it cannot answer, so every link in it is absolute, and
// it is written in both languages because no script runs to switch.
function writeOfflinePage(outdir, css, icons, strings) {
  const section = (lang, s) => `<section class="card offline" lang="${lang}">
<h2 class="offline__title">${esc(s('offline.title'))}</h2>
<p>${esc(s('offline.body'))}</p>
<p class="offline__calls">${esc(s('emergency.heading'))}: <a href="tel:113">113</a> · <a href="tel:114">114</a> · <a href="tel:115">115</a></p>
<a class="button button--primary" href="">${esc(s('offline.retry'))}</a>
</section>`;
  const page = `<!doctype html>
<html lang="vi">
<head>
${head({
  title: `${strings.vi('offline.title')} – SOS ANTT`,
  description: strings.vi('offline.body'),
  theme: APPS[0].themeColor,
  icons: { any: icons['citizen-192.png'], maskable: icons['citizen-maskable-192.png'] },
  css,
})}
</head>
<body>
<header class="app-bar"><h1 class="app-bar__name">SOS ANTT</h1></header>
<main class="page">
${section('vi', strings.vi)}
${section('en', strings.en)}
</main>
</body>
</html>
`;
  write(join(outdir, OFFLINE_PAGE), page);
}
