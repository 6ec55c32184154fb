"""The one table of every stored job kind and what the sweep runs when one falls due."""

from __future__ import annotations

from typing import Protocol

from domain.jobs import JobKind
from services.rotation.recovery import KeyRecovery
from services.rotation.retiring import KeyRetirer
from services.sweep import AccessJobs, JobHandler


class KeyJobs(Protocol):
    """Key rotation's parts the sweep runs (wiring.KeySteps)."""

    @property
    def recovery(self) -> KeyRecovery: ...

    @property
    def retirer(self) -> KeyRetirer: ...


def job_table(access: AccessJobs, keys: KeyJobs) -> dict[JobKind, JobHandler]:
    """Every kind of stored job and what the sweep runs when one falls due (timers: `_timers`
    in wiring)."""
    return {
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
