// Incidents whose pins would cover each other on screen are drawn as one marker with a count.
// Why our own and not leaflet.markercluster: the console has tens of open incidents, not tens of
// thousands, so a greedy pass over screen positions is enough, costs no dependency and ~1 KB, and
// leaves the marker to us (a real button with a name, the count as its visible text).

/**
 * Group `points` (`{x, y, item}` in screen pixels at the current zoom) so that no two groups'
 * seeds are closer than `radius`. The most urgent incident seeds first, so a P1 never hides inside
 * a group seeded elsewhere; the rest follow in a fixed order so a redraw gives the same groups.
 * Returns `[{items, lat, lon}]`: one item for a lone pin, several for a cluster, placed at the
 * members' mean position.
 */
export function clusterPoints(points, radius) {
  const order = [...points].sort(
    (a, b) => (a.item.priority ?? 3) - (b.item.priority ?? 3) || String(a.item.id).localeCompare(String(b.item.id)),
  );
  const taken = new Set();
  const groups = [];
  const r2 = radius * radius;
  // Quadratic in the number of pins on the map: for the few hundred open incidents a city has at
  // worst this is well under a millisecond, and it runs once per zoom or queue change.
  for (const seed of order) {
    if (taken.has(seed)) continue;
    const members = [];
    for (const other of order) {
      if (taken.has(other)) continue;
      const dx = other.x - seed.x;
      const dy = other.y - seed.y;
      if (dx * dx + dy * dy <= r2) {
        taken.add(other);
        members.push(other.item);
      }
    }
    const lat = members.reduce((sum, item) => sum + item.lat, 0) / members.length;
    const lon = members.reduce((sum, item) => sum + item.lon, 0) / members.length;
    groups.push({ items: members, lat, lon });
  }
  return groups;
}
