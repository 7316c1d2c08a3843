"""SOS ANTT: the Starlette app and the domain, as a few packages, each one concept.

| part | what lives there | may import from app/ |
|---|---|---|
| `settings`, `errors` | the one place for settings; the JSON refusal every endpoint raises | nothing |
| `storage/` | the storage seam (`base`), the SQLite backend, the outbox | nothing |
| `identity/` | who is calling and what they may do: tokens, accounts, devices, access, audit, limits | storage |
| `directory/` | wards, boundaries, units, routing a point to its ward | storage, identity |
| `incidents/` | document kinds and rules, projections, incident state, fan-out, timers, alerts | storage, identity, directory |
| `stats/` | figures, facts, tables, charts, the map layer, the audit browser | the four above |
| `schema` | the ordered list of migrations, made of each package's steps | the packages' schema steps |
| `services` | the long-lived parts, built once per app | every package but web |
| `web/` | the endpoints and PWA serving | everything above |
| `main`, `cli` | the app factory with every route; the `sos` command | web, services |

`sync/`, `push/` and `media/` are libraries: they never import `app/`. tests/test_layout.py checks
this table and that no module imports in a circle.
"""
