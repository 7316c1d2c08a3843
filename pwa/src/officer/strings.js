// The strings of the officer's signed-in parts that the sign-in screen never shows (the position
// sharing of issue 16), carried by the lazily loaded chunk rather than by the dictionaries that
// every app and every citizen's first visit download (see `withStrings` in core/i18n.js).
import { withStrings } from '../core/i18n.js';
import vi from './strings/vi.json';
import en from './strings/en.json';

export const { t } = withStrings({ vi, en });
