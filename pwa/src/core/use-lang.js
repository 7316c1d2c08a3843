// Re-render a component tree when the language changes (t() reads the current language).
import { useEffect, useState } from 'preact/hooks';
import { getLang, onLangChange } from './i18n.js';

export function useLang() {
  const [lang, setLangState] = useState(getLang());
  useEffect(() => onLangChange(setLangState), []);
  return lang;
}
