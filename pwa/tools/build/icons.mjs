// Icons are drawn once by tools/make-icons.mjs and committed; the build only copies them under
// content-hashed names, so they can be cached forever like every other asset.
import { readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { listFiles, sha256, write } from './files.mjs';

/** Returns a map from the committed file name (`citizen-192.png`) to its public URL. */
export function copyIcons(root, outdir) {
  const source = join(root, 'static', 'icons');
  const urls = {};
  for (const name of listFiles(source)) {
    const bytes = readFileSync(join(source, name));
    const ext = extname(name);
    const hashed = `${basename(name, ext)}-${sha256(bytes).slice(0, 10)}${ext}`;
    write(join(outdir, 'assets', 'icons', hashed), bytes);
    urls[name] = `/assets/icons/${hashed}`;
  }
  return urls;
}
