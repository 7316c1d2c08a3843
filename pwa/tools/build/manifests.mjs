// One web app manifest per app, so each can be installed on its own, with its own name and icon.
import { join } from 'node:path';
import { APPS } from './apps.mjs';
import { write } from './files.mjs';

export const MANIFEST_NAME = 'manifest.webmanifest';

export function writeManifests(outdir, icons, vi) {
  for (const app of APPS) {
    const icon = (file, sizes, purpose) => ({ src: icons[file], sizes, type: 'image/png', purpose });
    const manifest = {
      // Distinct ids: installing the citizen app must not count as having the officer app.
      id: app.path,
      name: vi(`apps.${app.key}.name`),
      short_name: vi(`apps.${app.key}.short_name`),
      description: vi(`apps.${app.key}.description`),
      lang: 'vi',
      dir: 'ltr',
      start_url: app.path,
      scope: app.path,
      display: 'standalone',
      background_color: '#ffffff',
      theme_color: app.themeColor,
      icons: [
        icon(`${app.key}-192.png`, '192x192', 'any'),
        icon(`${app.key}-512.png`, '512x512', 'any'),
        icon(`${app.key}-maskable-192.png`, '192x192', 'maskable'),
        icon(`${app.key}-maskable-512.png`, '512x512', 'maskable'),
      ],
    };
    write(join(outdir, app.path, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);
  }
}
