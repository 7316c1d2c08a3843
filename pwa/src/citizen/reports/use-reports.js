import { useEffect, useState } from 'preact/hooks';
import { reports } from './model.js';

/** Re-render when anything about my reports changes; returns the model. */
export function useReports() {
  const [, setVersion] = useState(reports.version);
  useEffect(() => {
    const unsubscribe = reports.subscribe(setVersion);
    reports.start();
    return unsubscribe;
  }, []);
  return reports;
}
