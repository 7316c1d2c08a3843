// The account chunk (see core/ui/account-part.js): its screens, and its styles adopted by the
// document when it loads (same-origin constructed sheet: the CSP's `style-src 'self'` allows it),
// so that neither app's precached CSS carries them.
import accountCss from './account.css' with { type: 'text' };

export { SecondStep } from './second-step.js';
export { AccountScreen, RestrictedScreen, SetupScreen } from './screens.js';

if ('adoptedStyleSheets' in document) {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(accountCss.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\s+/g, ' '));
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
