"""What the rotation steps share: job keys, the refusal message, and notices that never fail."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from domain.audit import SYSTEM
from domain.errors import CloudError, UserError
from domain.text import iso_time
from services.rotation.ports import IamKeys, IamKeysByAccount

log = logging.getLogger("gatehouse.keys")
__all__ = ["SYSTEM", "KeysIn", "deactivation_key", "job_key", "new_owner", "quietly", "refused"]


def new_owner() -> str:
    """Which running Gatehouse started a rotation; rotations of an earlier run are recovered."""
    return uuid.uuid4().hex[:12]


def job_key(rotation_id: int) -> str:
    return f"rotation:{rotation_id}"


def deactivation_key(rotation_id: int, due: datetime) -> str:
    """Each deadline its own job, so a warning can move it from inside the running job."""
    return f"rotation:{rotation_id}@{iso_time(due)}"


def refused(step: str, refusal: CloudError) -> UserError:
    return UserError(f"AWS refused to {step}: {refusal.message}. Nothing was changed; "
                     "try again later or ask an admin.")


def quietly(send: Callable[..., Any], *args: Any) -> None:
    """A notice must not undo the step it reports: log a failure and go on."""
    try:
        send(*args)
    except Exception as exc:  # Slack being down must not stop key housekeeping
        log.warning("could not send a key notice", extra={"error": type(exc).__name__})


class KeysIn:
    """The IAM keys a rotation works on: Gatehouse's own account's, or (with `accounts:`)
    those of the rotation's account, through that account's manage role."""

    def __init__(self, home: IamKeys, by_account: IamKeysByAccount | None) -> None:
        self.home = home
        self.by_account = by_account

    def __call__(self, account: str | None) -> IamKeys:
        if account is None:
            return self.home
        if self.by_account is None:
            raise CloudError(f"account {account} is no longer under accounts: in the config, so "
                             "Gatehouse will not act there", "NoManageRole")
        return self.by_account.keys_in(account)

    def where(self, account: str | None) -> str:
        """' in account `prod` (111111111111)', or '' in Gatehouse's own account."""
        if account is None:
            return ""
        known = self.by_account.account(account) if self.by_account else None
        return f" in account `{known.name}` ({account})" if known else f" in account {account}"
