// Whether the device believes it is online. `navigator.onLine` can claim "online" on a captive or
// dead network, so this is a hint for the user, never a reason to skip a request.
import { useEffect, useState } from 'preact/hooks';

export function useOnline() {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    addEventListener('online', update);
    addEventListener('offline', update);
    return () => {
      removeEventListener('online', update);
      removeEventListener('offline', update);
    };
  }, []);
  return online;
}
