// Draws the SOS ANTT app icons and writes them to static/icons/ (committed, so the build does not
// run this). Run again only when the emblem changes: `npm run icons`.
//
// The emblem is geometry, not a font: a bold white "SOS" on emergency red, drawn from circles and
// stadiums and anti-aliased by supersampling. That keeps it legible at 48 px, free of any font
// licence, and byte-identical on every machine.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APPS } from './build/apps.mjs';
import { encodePng } from './png.mjs';

const OUT = join(dirname(fileURLToPath(import.meta.url)), '..', 'static', 'icons');
const RED = [200, 16, 46];
const WHITE = [255, 255, 255];
const SAMPLES = 4; // 4x4 samples per pixel

// --- shapes: each is (x, y) -> boolean in a unit square, y pointing down ----------------------

const roundedSquare = (radius) => (x, y) => {
  const dx = Math.max(radius - x, 0, x - (1 - radius));
  const dy = Math.max(radius - y, 0, y - (1 - radius));
  return dx * dx + dy * dy <= radius * radius;
};

const band = (top, bottom) => (x, y) => y >= top && y <= bottom;

// A ring arc from angle `from` to `to` (degrees, clockwise from 3 o'clock) with flat ends.
const arc = (cx, cy, r, weight, from, to) => (x, y) => {
  const d = Math.hypot(x - cx, y - cy);
  if (Math.abs(d - r) > weight / 2) return false;
  const a = ((Math.atan2(y - cy, x - cx) * 180) / Math.PI + 360) % 360;
  return from <= to ? a >= from && a <= to : a >= from || a <= to;
};

// The outline of a vertical stadium (a rounded "O").
const stadiumRing = (cx, top, bottom, r, weight) => (x, y) => {
  const cy = Math.min(Math.max(y, top + r), bottom - r);
  return Math.abs(Math.hypot(x - cx, y - cy) - r) <= weight / 2;
};

const union = (...shapes) => (x, y) => shapes.some((s) => s(x, y));

/** "SOS" centred on (cx, cy), `height` tall (outer edge to outer edge), strokes `weight` thick. */
function sos(cx, cy, height, weight) {
  const r = (height - weight) / 4; // each S is two stacked circles of radius r
  const sWidth = 2 * r + weight;
  const oRadius = r * 1.45;
  const oWidth = 2 * oRadius + weight;
  const gap = weight * 0.55;
  const left = cx - (2 * sWidth + oWidth + 2 * gap) / 2;
  const top = cy - height / 2;
  const letterS = (x0) => {
    const c = x0 + sWidth / 2;
    const upper = top + weight / 2 + r;
    const lower = upper + 2 * r;
    // Upper bowl runs from its bottom, round the left and over the top to a terminal at upper right;
    // the lower bowl mirrors it. They meet in the horizontal stroke through the middle.
    return union(arc(c, upper, r, weight, 90, 330), arc(c, lower, r, weight, 270, 150));
  };
  const oCentre = left + sWidth + gap + oWidth / 2;
  return union(
    letterS(left),
    stadiumRing(oCentre, top + weight / 2, top + height - weight / 2, oRadius, weight),
    letterS(left + sWidth + gap + oWidth + gap),
  );
}

// --- rendering ---------------------------------------------------------------------------------

function render(size, layers) {
  const rgba = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let [r, g, b, a] = [0, 0, 0, 0];
      for (let sy = 0; sy < SAMPLES; sy++) {
        for (let sx = 0; sx < SAMPLES; sx++) {
          const x = (px + (sx + 0.5) / SAMPLES) / size;
          const y = (py + (sy + 0.5) / SAMPLES) / size;
          // The topmost layer that covers the sample gives its colour (layers are opaque).
          for (let i = layers.length - 1; i >= 0; i--) {
            if (layers[i].shape(x, y)) {
              r += layers[i].color[0];
              g += layers[i].color[1];
              b += layers[i].color[2];
              a += 255;
              break;
            }
          }
        }
      }
      const n = SAMPLES * SAMPLES;
      const o = (py * size + px) * 4;
      // Colours were summed unpremultiplied over covered samples only; divide by that coverage.
      const covered = a / 255;
      rgba[o] = covered ? Math.round(r / covered) : 0;
      rgba[o + 1] = covered ? Math.round(g / covered) : 0;
      rgba[o + 2] = covered ? Math.round(b / covered) : 0;
      rgba[o + 3] = Math.round(a / n);
    }
  }
  return encodePng(size, size, rgba);
}

/**
 * `maskable`: full-bleed square whose content stays inside the central 80 % circle that launchers
 * may crop to. Otherwise a rounded square that fills the canvas.
 */
function emblem(app, maskable) {
  const scale = maskable ? 0.8 : 1;
  const at = (v) => 0.5 + (v - 0.5) * scale; // shrink content towards the centre for the safe zone
  const base = maskable ? () => true : roundedSquare(0.2);
  const layers = [{ shape: base, color: RED }];
  if (app.iconBand) {
    // A coloured band tells the police apps apart from the citizen app on a shared home screen.
    const stripe = band(at(0.74), at(0.86));
    layers.push({ shape: (x, y) => base(x, y) && stripe(x, y), color: app.iconBand });
  }
  const wordY = app.iconBand ? at(0.43) : 0.5;
  layers.push({ shape: sos(0.5, wordY, 0.34 * scale, 0.085 * scale), color: WHITE });
  return layers;
}

mkdirSync(OUT, { recursive: true });
for (const app of APPS) {
  for (const size of [192, 512]) {
    for (const maskable of [false, true]) {
      const name = `${app.key}-${maskable ? 'maskable-' : ''}${size}.png`;
      writeFileSync(join(OUT, name), render(size, emblem(app, maskable)));
      console.log(`wrote static/icons/${name}`);
    }
  }
}
