// The account chunk's strings (see `withStrings` in core/i18n.js), and what to say about a refusal
// or a passkey that did not work, in words a person at the desk or in the street can act on.
import { useState } from 'preact/hooks';
import { withStrings } from '../i18n.js';
import { describeError, describeWait } from '../ui/errors.js';
import vi from './strings/vi.json';
import en from './strings/en.json';

export const { t, has } = withStrings({ vi, en });

/** The sentence for a failed request of these screens (the server's code, else the usual words). */
export function explain(error) {
  const code = error?.refusal ?? error?.code;
  if (code && has(`account.errors.${code}`)) {
    return t(`account.errors.${code}`, { wait: describeWait(error.retryAfter) });
  }
  return describeError(error);
}

/** The sentence for a passkey the browser did not give (a DOMException, not a server refusal). */
export function passkeyTrouble(error) {
  if (error?.name === 'NotAllowedError' || error?.name === 'AbortError') return t('account.errors.passkey_cancelled');
  if (error?.name === 'InvalidStateError') return t('account.errors.passkey_exists');
  if (error?.name === 'SecurityError') return t('account.errors.passkey_origin');
  if (typeof error?.status === 'number') return explain(error);
  return t('account.errors.passkey_failed');
}

/**
 * State for a sentence on screen that follows a change of language: `set(() => t(...))` keeps
 * how to say it, not the words, so switching VI/EN re-says an error already shown.
 */
export function useSaid() {
  const [make, setMake] = useState(null);
  return [make ? make() : null, (fn) => setMake(() => fn)];
}
