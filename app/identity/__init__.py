"""Identity: who is calling and what they may do.

Signed tokens and the auth middleware (`auth`), police accounts and sign-in (`accounts`), citizen
devices (`devices`), who may see a report or an incident (`access`), the audit log (`audit`), rate
limits (`ratelimit`), and their tables (`schema`).

May import: `app.storage`, `app.errors`, `app.settings`.
"""
