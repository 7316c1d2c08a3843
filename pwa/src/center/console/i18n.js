// The console's own strings (see `withStrings` in core/i18n.js). Keys look like the rest
// (`center.queue.title`).
import { withStrings } from '../../core/i18n.js';
import vi from './strings/vi.json';
import en from './strings/en.json';

/** `has`: whether a key exists (optional labels, e.g. a reason code the server may add later). */
export const { t, has } = withStrings({ vi, en });
