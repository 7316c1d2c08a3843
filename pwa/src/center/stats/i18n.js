// The stats page's own strings (see `withStrings` in core/i18n.js), as the console has its own.
import { withStrings } from '../../core/i18n.js';
import vi from './strings/vi.json';
import en from './strings/en.json';

export const { t } = withStrings({ vi, en });
