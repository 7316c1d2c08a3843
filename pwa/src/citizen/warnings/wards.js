// The public ward boundaries on the phone: which ward a position is in, worked out here, so that
// "warnings for where I am" sends the server a ward code and never a position.

/** True if [lon, lat] is inside the ring (ray casting; a ring is [[lon, lat], ...]). */
function inRing(lon, lat, ring) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

// A polygon is its outer ring less its holes.
const inPolygon = (lon, lat, rings) => inRing(lon, lat, rings[0]) && !rings.slice(1).some((r) => inRing(lon, lat, r));

function contains(geometry, lon, lat) {
  if (geometry?.type === 'Polygon') return inPolygon(lon, lat, geometry.coordinates);
  if (geometry?.type === 'MultiPolygon') return geometry.coordinates.some((p) => inPolygon(lon, lat, p));
  return false;
}

/** `{code, name}` of the ward holding `{lat, lon}` in the FeatureCollection, or null. */
export function wardAt(geojson, { lat, lon }) {
  for (const feature of geojson?.features ?? []) {
    if (contains(feature.geometry, lon, lat)) {
      return { code: feature.properties.code, name: feature.properties.name };
    }
  }
  return null;
}

/** The features of the given ward codes (all of them for the whole city). */
export function shapesOf(geojson, codes, allCity) {
  const wanted = new Set(codes);
  const features = (geojson?.features ?? []).filter((f) => allCity || wanted.has(f.properties.code));
  return { type: 'FeatureCollection', features };
}

/** Lower-case, without Vietnamese marks: "phuong tan phu" finds "Phường Tân Phú". */
export function fold(text) {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase()
    .trim();
}
