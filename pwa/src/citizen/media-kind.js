// What a picked file really is, from its first bytes: phones report odd MIME types (HEIC as
// application/octet-stream, a video with none at all), and a text file or a PDF picked from
// "Files" must not become a broken thumbnail that is refused only after the report went out.
// The server decodes every upload anyway (media/); this is the early, kinder answer.

const ascii = (bytes, at, length) => String.fromCharCode(...bytes.subarray(at, at + length));

// ISO base media ('ftyp' boxes): HEIF/AVIF still images, else a video (MP4, MOV, 3GP, M4V).
const IMAGE_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'mif1', 'msf1', 'avif', 'avis']);

/**
 * `{kind: 'image' | 'video', type}` for a photo or video the bytes vouch for, else null.
 * `type` is the file's own MIME type when it agrees, otherwise one named from the bytes.
 */
export async function mediaKind(file) {
  const bytes = new Uint8Array(await file.slice(0, 32).arrayBuffer());
  const found = sniff(bytes);
  if (!found) return null;
  const reported = (file.type || '').toLowerCase();
  const type = reported.startsWith(`${found.kind}/`) ? reported : found.type;
  return { kind: found.kind, type };
}

export function sniff(bytes) {
  if (bytes.length < 12) return null;
  if (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return { kind: 'image', type: 'image/jpeg' };
  if (ascii(bytes, 0, 8) === '\x89PNG\r\n\x1a\n') return { kind: 'image', type: 'image/png' };
  if (ascii(bytes, 0, 6) === 'GIF87a' || ascii(bytes, 0, 6) === 'GIF89a') return { kind: 'image', type: 'image/gif' };
  if (ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return { kind: 'image', type: 'image/webp' };
  if (ascii(bytes, 4, 4) === 'ftyp') {
    const brand = ascii(bytes, 8, 4).toLowerCase();
    if (IMAGE_BRANDS.has(brand)) return { kind: 'image', type: brand.startsWith('avi') ? 'image/avif' : 'image/heic' };
    return { kind: 'video', type: brand === 'qt  ' ? 'video/quicktime' : 'video/mp4' };
  }
  // Matroska / WebM (EBML header).
  if (bytes[0] === 0x1a && bytes[1] === 0x45 && bytes[2] === 0xdf && bytes[3] === 0xa3) return { kind: 'video', type: 'video/webm' };
  return null;
}
