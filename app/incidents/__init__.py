"""Incidents: where a report becomes an incident and travels to the units.

`documents` (the shapes and writer rules of the four document kinds), `kinds` (registered with the
sync engine: access, validation, projection on commit), `projection` (the rows a document turns
into), `state` (folding an incident's logs into its status and stamps), `fanout` (the server's
writes that follow: incident, reply, inboxes), `timers` (escalations), `alerts` (web push),
`parts` (what they need from the app), `schema` (the tables), `positions` (officers' positions
while on duty, their retention job and the consoles' live hub).

May import: `app.storage`, `app.identity`, `app.directory`, `app.errors`, `app.settings`.
"""
