"""Small in-memory stand-ins for the ports of key rotation and the digest."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from domain.errors import CloudError
from domain.iam import AccessKey, IamUser, NewAccessKey

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


class FakeIam:
    """IAM users linked to Slack ids, and their keys; `refuse[op]` makes that call fail."""

    def __init__(self, created_at: datetime) -> None:
        self.created_at = created_at  # when AWS says each new key was created
        self.users: dict[str, IamUser] = {}
        self.keys: dict[str, list[AccessKey]] = {}
        self.refuse: dict[str, str] = {}
        self.created = 0

    def add_user(self, name: str, slack_id: str, *keys: AccessKey,
                 admin_via: tuple[str, ...] = ()) -> None:
        self.users[slack_id] = IamUser(name, f"arn:aws:iam::123456789012:user/{name}",
                                       user_id=f"AIDA{name.upper()}", admin_via=admin_via)
        self.keys.setdefault(name, list(keys))

    def move_tag(self, slack_id: str, to: str) -> None:
        """Someone edits IAM tags: `slack_id` now names the IAM user `to`."""
        self.users[slack_id] = next(u for u in self.users.values() if u.name == to)

    def _check(self, op: str) -> None:
        if op in self.refuse:
            raise CloudError(f"AWS refused {op}: {self.refuse[op]}", self.refuse[op])

    def find_user(self, slack_id: str, now: datetime, *,
                  refresh_after: timedelta = timedelta(0)) -> IamUser | None:
        self._check("find_user")
        return self.users.get(slack_id)

    def forget(self) -> None:
        pass

    def list_keys(self, iam_user: str) -> list[AccessKey]:
        self._check("list_keys")
        return list(self.keys[iam_user])

    def create_key(self, iam_user: str) -> NewAccessKey:
        self._check("create_key")
        self.created += 1
        key = NewAccessKey(f"AKIANEW{self.created}", SECRET, self.created_at)
        self.keys[iam_user].append(AccessKey(key.key_id, "Active", key.created))
        return key

    def set_key_status(self, iam_user: str, key_id: str, active: bool) -> None:
        self._check("set_key_status")
        status = "Active" if active else "Inactive"
        self.keys[iam_user] = [replace(k, status=status) if k.key_id == key_id else k
                               for k in self.keys[iam_user]]

    def delete_key(self, iam_user: str, key_id: str) -> bool:
        self._check("delete_key")
        before = len(self.keys[iam_user])
        self.keys[iam_user] = [k for k in self.keys[iam_user] if k.key_id != key_id]
        return len(self.keys[iam_user]) < before

    def key_ids(self, iam_user: str) -> dict[str, str]:
        return {key.key_id: key.status for key in self.keys[iam_user]}


class FakeKeyMessages:
    """Records the key DMs; `fail` makes delivery (or `fail_announce` the first DM) raise."""

    def __init__(self) -> None:
        self.announced: list[int] = []
        self.delivered: list[tuple[int, str]] = []
        self.concealed: list[tuple[int, str | None]] = []
        self.warned: list[int] = []
        self.settled: list[int] = []
        self.asked: list[tuple[int, str]] = []
        self.approvals: list[Any] = []
        self.decisions: list[Any] = []
        self.fail = False
        self.fail_announce = False

    def announce_key(self, rotation: Any) -> tuple[str, str]:
        if self.fail_announce:
            raise OSError("Slack is down")
        self.announced.append(rotation.id)
        return f"D{rotation.holder}", f"{len(self.announced)}.0"

    def deliver_key(self, rotation: Any, secret: str, now: datetime) -> None:
        assert rotation.dm_ts, "the secret goes only into the announced DM"
        if self.fail:
            raise OSError("Slack is down")
        self.delivered.append((rotation.id, secret))

    def conceal_key(self, rotation: Any, why: str | None) -> None:
        self.concealed.append((rotation.id, why))

    def warn_old_key_used(self, rotation: Any, old: AccessKey, now: datetime) -> tuple[str, str]:
        self.warned.append(rotation.id)
        return f"D{rotation.holder}", f"w{rotation.id}"

    def settle_warning(self, rotation: Any) -> None:
        self.settled.append(rotation.id)

    def ask_about_reactivated(self, rotation: Any, user: str) -> None:
        self.asked.append((rotation.id, user))

    def ask_mapping_approval(self, change: Any, admin_via: Any, admins: Any) -> tuple[str, str]:
        self.approvals.append(change)
        return "C0APPROVALS", f"m{change.id}"

    def show_mapping_decision(self, change: Any) -> None:
        self.decisions.append(change)


class FakeNotices:
    """Records every Slack notice."""

    def __init__(self) -> None:
        self.dms: list[tuple[str, str]] = []
        self.threads: list[tuple[int, str]] = []
        self.homes: list[set[str]] = []

    def dm(self, user: str, text: str, blocks: Any = None) -> tuple[str, str]:
        self.dms.append((user, text))
        return f"D{user}", "1.0"

    def thread(self, request: Any, text: str) -> None:
        self.threads.append((request.id, text))

    def refresh_request(self, request: Any, approvals: list[str]) -> None:
        pass

    def home_changed(self, users: set[str]) -> None:
        self.homes.append(set(users))

    def texts_to(self, user: str) -> list[str]:
        return [text for who, text in self.dms if who == user]


class FakeAnnouncer:
    """The access flow's side of a filed request, recorded."""

    def __init__(self) -> None:
        self.announced: list[int] = []

    def schedule_pending_jobs(self, request: Any, now: datetime) -> None:
        pass

    def announce(self, request_id: int, now: datetime) -> None:
        self.announced.append(request_id)


class FakeCaller:
    account = "123456789012"
    arn = "arn:aws:sts::123456789012:assumed-role/Gatehouse/i-1"


class FakeAccountData:
    """An account with nothing to report; `refuse_identity` makes GetCallerIdentity fail."""

    def __init__(self, refuse_identity: bool = False) -> None:
        self.refuse_identity = refuse_identity
        self.snapshots: list[tuple[datetime, str | None]] = []

    def snapshot(self, now: datetime, *, account_id: str | None, cloudtrail_bucket: str | None,
                 service_last_accessed: bool = True) -> Any:
        from domain.hygiene import AccountSnapshot

        self.snapshots.append((now, account_id))
        return AccountSnapshot(collected_at=now, account_id=account_id)

    def caller_identity(self) -> FakeCaller:
        if self.refuse_identity:
            raise CloudError("AWS refused GetCallerIdentity", "AccessDenied")
        return FakeCaller()


class FakeFixes:
    """Keys by (user, slot) and console passwords; `refuse` makes every fix fail."""

    def __init__(self) -> None:
        self.active: dict[tuple[str, int], str] = {}
        self.passwords: set[str] = set()
        self.refuse = False

    def deactivate_key_in_slot(self, user_name: str, slot: int,
                               created: datetime | None = None) -> tuple[str, bool]:
        if self.refuse:
            raise CloudError("AWS refused UpdateAccessKey: AccessDenied", "AccessDenied")
        key_id = f"AKIA{user_name.upper()}{slot}"
        was_active = self.active.pop((user_name, slot), None) is not None
        return key_id, was_active

    def remove_console_password(self, user_name: str) -> bool:
        if self.refuse:
            raise CloudError("AWS refused DeleteLoginProfile: AccessDenied", "AccessDenied")
        if user_name not in self.passwords:
            return False
        self.passwords.discard(user_name)
        return True
