// What a citizen's phone downloads on the first visit, measured on the built files, and the
// budget it must stay under (a cheap phone on 3G).
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { installUrls } from './precache.mjs';

export const BUDGET_BYTES = 120 * 1024;

function sizeOf(outdir, url, encoding) {
  const path = join(outdir, url.endsWith('/') ? `${url}index.html` : url);
  const encoded = `${path}.${encoding}`;
  return statSync(existsSync(encoded) ? encoded : path).size;
}

/**
 * First paint: the page, its CSS and the JavaScript graph. First visit: that, plus the service
 * worker and what it precaches when it installs (the citizen's own files and the offline page).
 */
export function report(outdir, bundles, manifest) {
  const citizen = bundles.apps.citizen;
  const firstPaint = ['/', citizen.css, citizen.js, ...citizen.preload];
  const precached = installUrls(manifest);
  const firstVisit = [...new Set([...firstPaint, '/sw.js', ...precached])];
  const total = (urls, enc) => urls.reduce((sum, url) => sum + sizeOf(outdir, url, enc), 0);
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`cache version ${manifest.VERSION}, ${precached.length} files precached at install`);
  for (const [label, urls] of [
    ['citizen first paint', firstPaint],
    ['citizen first visit incl. precache', firstVisit],
  ]) {
    console.log(`${label}: ${kb(total(urls, 'gz'))} gzip, ${kb(total(urls, 'br'))} brotli`);
  }
  if (bundles.lazy.length) {
    console.log(`loaded on demand (not precached): ${kb(total(bundles.lazy, 'gz'))} gzip in ${bundles.lazy.length} file(s)`);
  }
  const worst = total(firstVisit, 'gz');
  if (worst > BUDGET_BYTES) {
    throw new Error(`citizen first visit is ${kb(worst)} gzip, over the ${kb(BUDGET_BYTES)} budget`);
  }
}
