"""Statistics: what leaders and the command center read about how fast the city responds.

`query` (filters, periods, selections, percentiles), `facts` (the columns in memory, kept fresh by
a change log), `figures` (pure functions of the facts), `tables` and `labels` (CSV and words),
`charts` (SVG), `map` (points or a grid), `audit` (the audit log as supervisors browse it),
`history` (a generated history for demos and benchmarks), `schema` (the tables).

May import: `app.storage`, `app.identity`, `app.directory`, `app.incidents`, `app.errors`,
`app.settings`, `app.inputs`.
"""
