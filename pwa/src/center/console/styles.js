// The console's stylesheets, carried by its lazily loaded chunk and adopted by the document
// (a constructed stylesheet: same-origin code, so the CSP's `style-src 'self'` allows it).
//
// Why not in center.css: everything an app's entry links is precached by the service worker for
// every visitor, so about 5 KB of console styles would count against the citizen's first-visit
// budget (pwa/tools/build/report.mjs) although no citizen ever sees the console.
import consoleCss from './console.css' with { type: 'text' };
import queueCss from './queue/queue.css' with { type: 'text' };
import detailCss from './incident/detail.css' with { type: 'text' };
import mapCss from './map/map.css' with { type: 'text' };
import leafletCss from './map/leaflet-console.css' with { type: 'text' };
import pinCss from '../../core/pin.css' with { type: 'text' };
import { categoryCss } from '../../core/category-markup.js';

let adopted = null;

/** Comments and runs of white space go: the text is bundled as written. */
const compact = (css) => css.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s+/g, ' ');

export function adoptStyles() {
  if (adopted || !('adoptedStyleSheets' in document)) return;
  adopted = new CSSStyleSheet();
  // Each category's colour from the one vocabulary, for its pins and its queue items.
  const colours = categoryCss((c) => `.pin--${c}, .q-item--${c}`);
  adopted.replaceSync(compact([pinCss, colours, consoleCss, queueCss, detailCss, mapCss, leafletCss].join('\n')));
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, adopted];
}
