// Builds the PWA into dist/ (or the directory given as the first argument):
//   assets/     content-hashed JS, CSS and icons, cached forever
//   index.html, officer/index.html, center/index.html   the three app shells
//   */manifest.webmanifest, offline.html, sw.js          unhashed, revalidated on every use
// plus .br/.gz copies of the text files. The same sources give byte-identical output.
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleApps, bundleServiceWorker } from './tools/build/bundle.mjs';
import { compress } from './tools/build/compress.mjs';
import { writeShells } from './tools/build/html.mjs';
import { writeLiteJson } from './tools/build/lite.mjs';
import { loadTranslations } from './tools/build/i18n.mjs';
import { copyIcons } from './tools/build/icons.mjs';
import { writeManifests } from './tools/build/manifests.mjs';
import { precacheManifest } from './tools/build/precache.mjs';
import { report } from './tools/build/report.mjs';

const root = dirname(fileURLToPath(import.meta.url));
const outdir = resolve(process.argv[2] ?? join(root, 'dist'));

rmSync(outdir, { recursive: true, force: true });
const strings = loadTranslations(root);
const bundles = await bundleApps(root, outdir);
const icons = copyIcons(root, outdir);
writeManifests(outdir, icons, strings.vi);
writeShells(root, outdir, bundles, icons, strings);
writeLiteJson(outdir, root, strings); // for the server: the script-less pages' CSS, its hash, strings
// The worker is built last: its precache list and version describe everything above.
const manifest = precacheManifest(outdir, icons, bundles);
await bundleServiceWorker(root, join(outdir, 'sw.js'), manifest);
compress(outdir);
report(outdir, bundles, manifest);
console.log(`built ${outdir}`);
