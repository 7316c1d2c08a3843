// Where the citizen is: asked for as soon as the report screen opens, refined while it is open,
// and always said in words: found with its accuracy, still looking, or why there is none.
import { useEffect, useRef, useState } from 'preact/hooks';

// Stop refining once the fix is this good, or after this long (the battery matters too).
const GOOD_ENOUGH_M = 15;
const WATCH_MS = 60_000;
const TIMEOUT_MS = 20_000;

/**
 * `{state, position, retry, place, clear}`. `state`: 'locating' | 'found' | 'placed' (set by hand
 * on the map) | 'denied' | 'unavailable' | 'timeout' | 'unsupported'. `position`:
 * `{lat, lon, accuracy}` (no accuracy when placed by hand), or null.
 */
export function useLocation() {
  const [state, setState] = useState('locating');
  const [position, setPosition] = useState(null);
  const watch = useRef(null);
  const placed = useRef(false);

  function stop() {
    if (watch.current !== null) {
      navigator.geolocation.clearWatch(watch.current.id);
      clearTimeout(watch.current.timer);
      watch.current = null;
    }
  }

  function start() {
    stop();
    if (!('geolocation' in navigator)) {
      setState('unsupported');
      return;
    }
    placed.current = false;
    setState('locating');
    let best = null;
    const id = navigator.geolocation.watchPosition(
      ({ coords }) => {
        if (placed.current) return; // the citizen's own pin wins over the GPS
        if (best && coords.accuracy >= best.accuracy) return;
        best = { lat: coords.latitude, lon: coords.longitude, accuracy: coords.accuracy };
        setPosition(best);
        setState('found');
        if (best.accuracy <= GOOD_ENOUGH_M) stop();
      },
      (error) => {
        if (best) return; // a later failure does not undo a fix we have
        stop();
        setState(error.code === 1 ? 'denied' : error.code === 3 ? 'timeout' : 'unavailable');
      },
      { enableHighAccuracy: true, maximumAge: 30_000, timeout: TIMEOUT_MS },
    );
    watch.current = { id, timer: setTimeout(stop, WATCH_MS) };
  }

  useEffect(() => {
    start();
    return stop;
  }, []);

  return {
    state,
    position,
    retry: start,
    place(lat, lon, accuracy) {
      placed.current = true;
      stop();
      setPosition(typeof accuracy === 'number' ? { lat, lon, accuracy } : { lat, lon });
      setState('placed');
    },
  };
}
