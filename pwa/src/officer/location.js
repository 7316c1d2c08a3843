// Where the officer is, for the distance to each incident, only when the officer allows it. The
// position stays on the phone, except the point an officer's progress entry is written at.
import { useEffect, useState } from 'preact/hooks';

let position = null; // {lat, lon, accuracy}
let watching = false;
let denied = false;
const listeners = new Set();

function tell() {
  for (const fn of listeners) fn(position);
}

export function currentPosition() {
  return position;
}

/** Start following the position (asks for permission the first time). */
export function watchPosition() {
  if (watching || !navigator.geolocation) return;
  watching = true;
  navigator.geolocation.watchPosition(
    (fix) => {
      position = { lat: fix.coords.latitude, lon: fix.coords.longitude, accuracy: fix.coords.accuracy };
      tell();
    },
    (error) => {
      if (error.code === error.PERMISSION_DENIED) {
        denied = true;
        watching = false;
        tell();
      }
    },
    // The network's position is enough for "1.2 km away" and costs little battery. On an incident
    // the position sharing (sharing.js) asks for high accuracy, and the browser's one provider
    // then serves every watcher with those fixes, this one too (issue 16).
    { enableHighAccuracy: false, maximumAge: 30_000, timeout: 60_000 },
  );
}

/** `{position, state}`: state 'on', 'ask' (a button may start it), 'denied' or 'unsupported'. */
export function usePosition() {
  const [, setVersion] = useState(0);
  useEffect(() => {
    const fn = () => setVersion((v) => v + 1);
    listeners.add(fn);
    // Already allowed (an earlier visit): follow without asking again.
    navigator.permissions
      ?.query({ name: 'geolocation' })
      .then((status) => status.state === 'granted' && watchPosition())
      .catch(() => {});
    return () => listeners.delete(fn);
  }, []);
  let state = 'ask';
  if (!navigator.geolocation) state = 'unsupported';
  else if (denied) state = 'denied';
  else if (watching) state = 'on';
  return { position, state };
}

/** Metres between two WGS84 points: the one distance of the apps, under its old name here. */
export { distanceM as distance } from '../core/geo.js';
