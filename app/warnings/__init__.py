"""Public warnings: the police warn the people of an area (issue 24, docs/warnings.md).

`schema` (the tables), `fields` (reading a draft's body), `drafts` (drafting, approval by a second
person, update and cancel, each step audited), `areas` (the wards a citizen device follows),
`delivery` (who is told, planned into the push library's deliveries from the outbox), `review`
(the supervisors are told a draft waits for them), `answers`
("safe" / "need help"), `reads` (the public list and the police list with delivery and answers),
`cap` (CAP 1.2 documents and the Atom feed).

May import: `app.storage`, `app.identity`, `app.directory`, `app.errors`, `app.settings`,
`app.inputs`.
"""
