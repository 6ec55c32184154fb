"""What admins do from a digest: acknowledge a finding until a date, or apply a safe fix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from config import Config
from domain.digest import Acknowledgement, Fix, StoredFinding, button_finding, stored_fix
from domain.errors import CloudError, UserError
from domain.org_digest import ORG_SCOPE, scope_of, unscoped
from services.digest_ports import AuditTrail, DigestStore, Fixes

MAX_ACK_DAYS = 366
STALE_BUTTON = "That button is out of date; post a fresh digest with `/access digest`."


NO_SUCH_FIX = ("That button does not match the finding it names, so nothing was changed; use "
               "the buttons of a fresh digest (`/access digest`).")


@dataclass
class DigestActions:
    """`fixes` act in Gatehouse's own account; `account_fixes(id)` in an organisation's
    account, through its manage role (the stored finding's key names the account)."""

    config: Config
    store: DigestStore
    audit: AuditTrail
    fixes: Fixes
    account_fixes: Callable[[str], Fixes] | None = None

    def require_admin(self, user: str, doing: str) -> None:
        if user not in self.config.admins:
            raise UserError(f"Only Gatehouse admins can {doing}; nothing was changed. "
                            "Ask an admin if this needs doing.")

    def target(self, kind: str, value: str) -> tuple[Fix, str | None]:
        """What a fix button acts on and in which account (None: Gatehouse's own), read from
        the stored finding it names, never from the value."""
        try:
            fid, created = button_finding(value)
        except ValueError:
            raise UserError(STALE_BUTTON) from None
        stored = self.finding(fid)
        account = scope_of(stored.key)
        try:
            if account == ORG_SCOPE:
                raise ValueError("organisation-wide findings have no one-click fix")
            return stored_fix(unscoped(stored), kind, created), account
        except ValueError:
            raise UserError(NO_SUCH_FIX) from None

    def fixes_in(self, account: str | None) -> Fixes:
        """The fixes acting in `account`; CloudError when its manage role cannot be assumed."""
        if account is None:
            return self.fixes
        if self.account_fixes is None:
            raise UserError("That finding is from an account Gatehouse no longer manages; "
                            "nothing was changed.")
        return self.account_fixes(account)

    def finding(self, fid: str) -> StoredFinding:
        found = self.store.finding(str(fid))
        if found is None:
            raise UserError("That finding is not in any stored digest; post a fresh one with "
                            "`/access digest`.")
        return found

    def acknowledge(self, fid: str, until: date, user: str, now: datetime,
                    note: str = "") -> str:
        """Hide a finding from digests through `until` (config timezone), audited."""
        self.require_admin(user, "acknowledge digest findings")
        finding = self.finding(fid)
        today = now.astimezone(self.config.zone).date()
        if until <= today:
            raise UserError("Pick a date after today: the finding stays hidden through that date.")
        if (until - today).days > MAX_ACK_DAYS:
            raise UserError("Pick a date within a year; acknowledge it again when it returns.")
        self.store.acknowledge(Acknowledgement(finding.key, until, user, now, note.strip()))
        self.audit.append(at=now, actor=user, action="finding.acknowledged", subject=finding.key,
                          details={"until": until.isoformat(), "title": finding.title,
                                   "check_id": finding.check_id, "note": note.strip()})
        return (f"Acknowledged “{finding.title}”: accepted until {until:%Y-%m-%d}; it returns "
                "in the digest after that date.")

    def deactivate_key(self, value: str, user: str, now: datetime) -> str:
        """Deactivate the access key a finding names; its id is looked up now, for that user."""
        self.require_admin(user, "deactivate access keys")
        target, account = self.target("deactivate_key", value)
        try:
            key_id, changed = self.fixes_in(account).deactivate_key_in_slot(
                target.user, target.slot, target.key_created)
        except CloudError as error:
            raise UserError(f"Could not deactivate the key: {error.message}. Nothing was "
                            "changed.") from None
        if not changed:
            return f"Access key {key_id} of {target.user} was already inactive; nothing changed."
        self.audit.append(at=now, actor=user, action="digest.fix_applied", subject=target.user,
                          details={"fix": "deactivate_key", "slot": target.slot,
                                   "access_key_id": key_id, **_in(account)})
        return (f"Deactivated access key {key_id} (key {target.slot}) of IAM user "
                f"{target.user}{_where(account)}. Delete it once nothing breaks; reactivate it "
                "in IAM if needed.")

    def remove_password(self, value: str, user: str, now: datetime) -> str:
        """Remove an IAM user's console password (DeleteLoginProfile), audited."""
        self.require_admin(user, "remove console passwords")
        target, account = self.target("remove_password", value)
        name = target.user
        try:
            removed = self.fixes_in(account).remove_console_password(name)
        except CloudError as error:
            raise UserError(f"Could not remove the password: {error.message}. Nothing was "
                            "changed.") from None
        if not removed:
            return f"IAM user {name} had no console password any more; nothing changed."
        self.audit.append(at=now, actor=user, action="digest.fix_applied", subject=name,
                          details={"fix": "remove_password", **_in(account)})
        return (f"Removed the console password of IAM user {name}{_where(account)}. Their "
                "access keys still work; they can no longer sign in to the console.")


def _in(account: str | None) -> dict[str, str]:
    return {"account": account} if account else {}


def _where(account: str | None) -> str:
    return f" in account {account}" if account else ""
