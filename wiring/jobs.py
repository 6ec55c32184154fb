"""The one table of every stored job kind and what the sweep runs when one falls due."""

from __future__ import annotations

from collections.abc import Mapping

from domain.jobs import JobKind
from services.sweep import AccessJobs, JobHandler
from wiring.identity_center import identity_center_jobs
from wiring.rotation import KeySteps


def job_table(access: AccessJobs, keys: KeySteps,
              identity_center: Mapping[JobKind, JobHandler] | None = None,
              ) -> dict[JobKind, JobHandler]:
    """Every kind of stored job and its handler (the timers are `_timers` in wiring)."""
    return {
        **(identity_center or identity_center_jobs(None)),
        JobKind.ANNOUNCE: access.announce,
        JobKind.ACTIVATE: access.activate,
        JobKind.EXPIRE_PENDING: access.expire_pending,
        JobKind.REMIND: access.remind,
        JobKind.EXPIRE_GRANT: access.expire_grant,
        JobKind.WARN_EXPIRY: access.warn_expiry,
        JobKind.CHECK_DELIVERY: access.check_delivery,
        JobKind.REVOKE_DENY: access.revoke_deny,
        JobKind.SCRUB_DM: access.scrub_dm,
        JobKind.REMOVE_DENY: access.remove_deny,
        JobKind.BREAKGLASS_REMIND: access.breakglass_remind,
        JobKind.KEY_RECOVER: keys.recovery.on_recover,
        JobKind.KEY_CONCEAL: keys.retirer.on_conceal,
        JobKind.KEY_DEACTIVATE: keys.retirer.on_deactivate,
        JobKind.KEY_DELETE: keys.retirer.on_delete,
    }
