// The admin screens' own strings (`admin.*`), carried by their chunk: the console's chunk, which
// every dispatcher loads, does not pay for words only an admin reads.
import { withStrings } from '../../../core/i18n.js';
import vi from './strings/vi.json';
import en from './strings/en.json';

export const { t, has } = withStrings({ vi, en });
