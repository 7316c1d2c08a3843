// The page's stylesheet (screen and print), carried by its lazily loaded chunk and adopted by the
// document, as the console does: what the center's entry links is precached for every visitor.
import statsCss from './stats.css' with { type: 'text' };

let adopted = null;

export function adoptStyles(css = statsCss) {
  if (!('adoptedStyleSheets' in document)) return;
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css.replace(/\/\*[\s\S]*?\*\//g, ''));
  if (css === statsCss) {
    if (adopted) return;
    adopted = sheet;
  }
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
