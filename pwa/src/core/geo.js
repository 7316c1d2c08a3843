// Distances on the map, shared by the officer app (moves, distance to an incident) and the
// console (nearest officers at dispatch).

/** Metres between two WGS84 points `{lat, lon}` (haversine; plenty for a city). */
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_000 * Math.asin(Math.sqrt(h));
}
