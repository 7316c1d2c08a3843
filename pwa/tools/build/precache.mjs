// The service worker's precache lists and cache VERSION, computed from the built files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPS } from './apps.mjs';
import { listFiles, sha256, urlOf } from './files.mjs';
import { OFFLINE_PAGE } from './html.mjs';
import { MANIFEST_NAME } from './manifests.mjs';

export const isCompressedCopy = (path) => path.endsWith('.gz') || path.endsWith('.br');

/**
 * One list per app (`APP_URLS[key]`: its shell, manifest, JS graph, CSS and icons) and the files
 * every app needs offline (`COMMON_URLS`: the offline page and its CSS). The worker installs with
 * the citizen's list only: a citizen's phone on 3G must not download the police apps (about
 * 52 KB, 8 s at 50 kbit/s); the officer and center apps ask for their own list when opened.
 * Deferred chunks (loaded after the first render) are in their app's list; lazily loaded chunks
 * (`lazy`) are in no list. VERSION hashes each shipped file's path and
 * content, so it changes exactly when a shipped file changes, and never otherwise.
 */
export function precacheManifest(outdir, icons, bundles) {
  const files = listFiles(outdir).filter((p) => p !== 'sw.js' && !isCompressedCopy(p));
  const lines = files.map((p) => `${p}\0${sha256(readFileSync(join(outdir, p)))}\n`);
  const APP_URLS = {};
  for (const app of APPS) {
    const bundle = bundles.apps[app.key];
    const appIcons = Object.entries(icons)
      .filter(([name]) => name.startsWith(`${app.key}-`))
      .map(([, url]) => url)
      .sort();
    APP_URLS[app.key] = [app.path, `${app.path}${MANIFEST_NAME}`, bundle.js, bundle.css, ...bundle.preload, ...bundle.deferred, ...appIcons];
  }
  return {
    VERSION: sha256(lines.join('')).slice(0, 16),
    INSTALL_APP: 'citizen',
    APP_URLS,
    COMMON_URLS: [urlOf(OFFLINE_PAGE), bundles.offlineCss],
    // Longest first, so `/officer/…` is matched before the citizen's `/`.
    SHELLS: APPS.map((app) => app.path).sort((a, b) => b.length - a.length),
    OFFLINE_URL: urlOf(OFFLINE_PAGE),
    NOTIFICATION_ICON: icons['citizen-192.png'],
  };
}

/** What the worker fetches when it installs: the files of every app's shared set plus the citizen's. */
export function installUrls(manifest) {
  return [...new Set([...manifest.COMMON_URLS, ...manifest.APP_URLS[manifest.INSTALL_APP]])];
}
