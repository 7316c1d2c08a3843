// The warnings' own strings, carried by their chunk (see `withStrings` in core/i18n.js), so that a
// citizen's first visit does not download them; the shared dictionaries hold only the tab's name
// and what shows before the chunk is here.
import { withStrings } from '../../core/i18n.js';
import vi from './strings/vi.json';
import en from './strings/en.json';

export const { t } = withStrings({ vi, en });
