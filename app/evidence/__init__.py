"""Evidence that holds up (issue 27): the deployment's Ed25519 signing key (`keys`), the audit
log's hash chain and signed checkpoints, and the signed case bundle. docs/evidence.md says what
each proves and what it does not.

May import `settings`, `storage` and `identity` (the audit log whose chain it checks)."""
