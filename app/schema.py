"""The schema: the ordered list of migrations; the backend counts those applied.

Each package owns its tables and names the steps that create them (`<package>/schema.py`, and the
libraries' `create_tables`); this list only decides when each step runs, so no table module
imports it. Append new migrations at the end; never change what one that has shipped creates.
"""

from __future__ import annotations

import media
import push
import sync.store
from app.directory import schema as directory
from app.identity import schema as identity
from app.incidents import schema as incidents
from app.stats import schema as stats
from app.storage import outbox, readiness
from app.storage.base import Migration
from app.warnings import schema as warnings

MIGRATIONS = [
    Migration("foundation", (directory.foundation, identity.foundation)),
    Migration("outbox", (outbox.create_tables,)),
    Migration("directory_version", (directory.version_counter,)),
    Migration("documents", (sync.store.create_tables, incidents.projections)),
    Migration("media", (media.create_tables,)),
    Migration("push", (push.create_tables,)),
    Migration("stats", (stats.facts,)),
    Migration("availability", (identity.availability,)),
    Migration("inbox_entries_by_incident", (incidents.inbox_entries_by_incident,)),
    Migration("rate_limits", (identity.rate_limits,)),
    Migration("stats_changes_without_a_global_lock", (stats.changes_without_a_global_lock,)),
    Migration("channels", (incidents.channels, identity.partners)),
    # issue 16: where the units are
    Migration("officer_positions", (incidents.positions,)),
    # issue 24: public warnings
    Migration("warnings", (warnings.tables, incidents.warning_link)),
    # issue 25: police sign-in (sessions with devices, account lifecycle)
    Migration("accounts", (identity.accounts,)),
    # issue 25: passkeys, one-time codes, recovery codes, sign-in challenges and throttles
    Migration("second_factor", (identity.second_factor,)),
    # issue 25: set-up links of imported accounts
    Migration("setup_links", (identity.setup_links,)),
    # issue 26: the load balancer's probe writes here (GET /readyz)
    Migration("readiness", (readiness.create_tables,)),
    # issue 27: the audit log's hash chain and its signed checkpoints
    Migration("audit_chain", (identity.audit_chain,)),
    # issue 27: the phone's hash of a media original is fixed once the server's is recorded
    Migration("media_capture_hash_fixed", (media.capture_hash_fixed,)),
    # issue 29: silent reports and their live location
    Migration("silent_reports", (incidents.silent_reports,)),
    # issue 30: routed by an approximate ward boundary
    Migration("approximate_routing", (directory.approximate_routing,)),
]
