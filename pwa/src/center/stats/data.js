// Fetching a figure: the JSON at an address, fetched again whenever the address changes (the
// filters or the language), an answer for an address no longer shown being dropped.
import { useEffect, useState } from 'preact/hooks';
import { request } from '../../core/api.js';

let unitsLoad = null;

/** Active units once per page: the ward and unit choices of the filters, and their names. */
export function loadUnits(token) {
  unitsLoad ??= request('/api/units', { token }).then((body) => body.units, (error) => {
    unitsLoad = null;
    throw error;
  });
  return unitsLoad;
}

/** `{data, error, loading}` for `url` (null: nothing to fetch). */
export function useJson(url, token) {
  const [state, setState] = useState({ data: null, error: null, loading: Boolean(url) });
  useEffect(() => {
    if (!url) return undefined;
    let current = true;
    setState((s) => ({ data: s.data, error: null, loading: true }));
    request(url, { token }).then(
      (data) => current && setState({ data, error: null, loading: false }),
      (error) => current && setState({ data: null, error, loading: false }),
    );
    return () => {
      current = false;
    };
  }, [url, token]);
  return state;
}
