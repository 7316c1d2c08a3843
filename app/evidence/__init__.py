"""Evidence that holds up (issue 27): the deployment's Ed25519 signing key (`keys`), the audit
log's hash chain and signed checkpoints, and the signed case bundle. docs/evidence.md says what
each proves and what it does not.

May import storage, identity, errors and settings (the audit log whose chain it checks, the
incident's rows a bundle is built from); `verify` imports nothing of the app (stdlib and
cryptography only), so that a bundle can be checked anywhere, offline."""
