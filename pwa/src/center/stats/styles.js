// The page's stylesheet (screen and print), carried by its lazily loaded chunk and adopted by the
// document, as the console does: what the center's entry links is precached for every visitor.
import statsCss from './stats.css' with { type: 'text' };
import pinCss from '../../core/pin.css' with { type: 'text' };
import { categoryCss } from '../../core/ui/category-pin.js';

// The legend's pins: the console's shapes, icons and colours (one vocabulary, core/categories.json).
const pageCss = [pinCss, categoryCss((c) => `.pin--${c}`), statsCss].join('\n');

let adopted = null;

export function adoptStyles(css = pageCss) {
  if (!('adoptedStyleSheets' in document)) return;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css.replace(/\/\*[\s\S]*?\*\//g, ''));
  if (css === pageCss) {
    if (adopted) return;
    adopted = sheet;
  }
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
