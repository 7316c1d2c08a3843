"""Directory: the city as the app knows it — wards, their boundaries, units, routing.

`routing` holds the `Directory` (seeding from `vietnam-provinces`, the R-tree of boundaries,
`route()` from a point and a category to units); `boundaries` reads and checks a GeoJSON file;
`data/` ships the departments and the clearly labelled SAMPLE boundaries; `schema` the tables.

May import: `app.storage`, `app.identity` (audit), `app.errors`.
"""
