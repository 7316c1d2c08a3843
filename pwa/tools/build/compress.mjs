// Precompressed copies (.br and .gz) next to each text file: the server picks one by
// Accept-Encoding, and no CPU is spent compressing per request. Both encoders are deterministic.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { listFiles, write } from './files.mjs';

const TEXT = /\.(js|css|html|webmanifest|json|svg|txt)$/;

export function compress(outdir) {
  for (const path of listFiles(outdir).filter((p) => TEXT.test(p))) {
    const raw = readFileSync(join(outdir, path));
    const gz = gzipSync(raw, { level: 9 });
    const br = brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.length,
      },
    });
    // A tiny file can grow when compressed: then the server just sends it as it is.
    if (gz.length < raw.length) write(join(outdir, `${path}.gz`), gz);
    if (br.length < raw.length) write(join(outdir, `${path}.br`), br);
  }
}
