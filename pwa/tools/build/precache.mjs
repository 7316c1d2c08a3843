// The service worker's precache list and cache VERSION, computed from the built files.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPS } from './apps.mjs';
import { listFiles, sha256, urlOf } from './files.mjs';
import { OFFLINE_PAGE } from './html.mjs';

export const isCompressedCopy = (path) => path.endsWith('.gz') || path.endsWith('.br');

/**
 * Everything in dist except the worker itself and the lazily loaded chunks (`lazy`, URLs) is
 * precached. VERSION hashes each file's path and content, lazy ones included, so it changes
 * exactly when a shipped file changes, and never otherwise.
 */
export function precacheManifest(outdir, icons, lazy = []) {
  const files = listFiles(outdir).filter((p) => p !== 'sw.js' && !isCompressedCopy(p));
  const lines = files.map((p) => `${p}\0${sha256(readFileSync(join(outdir, p)))}\n`);
  const skip = new Set(lazy);
  return {
    VERSION: sha256(lines.join('')).slice(0, 16),
    URLS: files.map(urlOf).filter((url) => !skip.has(url)),
    // Longest first, so `/officer/…` is matched before the citizen's `/`.
    SHELLS: APPS.map((app) => app.path).sort((a, b) => b.length - a.length),
    OFFLINE_URL: urlOf(OFFLINE_PAGE),
    NOTIFICATION_ICON: icons['citizen-192.png'],
  };
}
