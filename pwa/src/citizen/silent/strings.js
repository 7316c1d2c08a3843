// The silent report's strings (issue 29), carried by the citizen app alone rather than by the
// dictionaries that the police apps download too (see `withStrings` in core/i18n.js).
import { withStrings } from '../../core/i18n.js';
import vi from './strings/vi.json';
import en from './strings/en.json';

export const { t } = withStrings({ vi, en });
