"""Drift: user assignments of the configured permission sets that Gatehouse did not make, as
digest findings by account."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from config.identity_center import PermissionSetConfig
from domain.errors import AwsError
from domain.identity_center import Assignment, AssignmentKey, standing_user_assignments
from domain.identity_center_drift import (
    AccountFindings,
    StandingHolder,
    drift_missing,
    standing_finding,
)
from services.identity_center import IdentityCenterPort

log = logging.getLogger("gatehouse.identity_center")


class AssignmentReader(IdentityCenterPort, Protocol):
    def assignments(self, account_id: str, permission_set_arn: str) -> list[Assignment]: ...

    def user_name(self, user_id: str) -> str:
        """The user's name in the identity store ('' when it cannot be read)."""
        ...


class MadeByGatehouse(Protocol):
    def made_by_gatehouse(self) -> list[AssignmentKey]: ...


@dataclass(frozen=True)
class StandingAssignment:
    """Someone holds a configured permission set in an account permanently, outside Gatehouse."""

    request_name: str
    account: str
    key: AssignmentKey
    permission_set: str = ""

    def words(self) -> str:
        return (f"user {self.key.user_id} holds {self.request_name} in account {self.account} "
                f"({self.key.account_id}) permanently, outside Gatehouse")


@dataclass(frozen=True)
class Unread:
    """A permission set's assignments in an account that could not be read, in words."""

    account_id: str
    words: str

    def __str__(self) -> str:
        return self.words


def standing_assignments(center: AssignmentReader, made_by_gatehouse: Iterable[AssignmentKey],
                         rules: Iterable[PermissionSetConfig],
                         ) -> tuple[list[StandingAssignment], list[Unread]]:
    """(standing user assignments, what could not be read, in words naming it)."""
    ours = list(made_by_gatehouse)
    found: list[StandingAssignment] = []
    missing: list[Unread] = []
    for rule in rules:
        try:
            permission_set = center.permission_set(rule.permission_set)
            if permission_set is None:
                missing.append(Unread(rule.account_id, f"{rule.name}: no permission set "
                                                       f"'{rule.permission_set}'"))
                continue
            held = center.assignments(rule.account_id, permission_set.arn)
        except AwsError as exc:
            missing.append(Unread(rule.account_id, f"{rule.name} in account {rule.account}: "
                                                   f"{exc}"))
            continue
        seen = {standing.key for standing in found}  # two rules may name one assignment
        found += [StandingAssignment(rule.name, rule.account, key, permission_set.name)
                  for key in standing_user_assignments(held, ours) if key not in seen]
    return found, missing


class IdentityCenterDrift:
    """The digest's Identity Center source: standing assignments as findings by account; a
    permission set or account that cannot be read is a missing source, never raised."""

    def __init__(self, center: AssignmentReader, records: MadeByGatehouse,
                 rules: Callable[[], Iterable[PermissionSetConfig]]) -> None:
        self.center = center
        self.records = records
        self.rules = rules

    def findings(self, now: datetime) -> AccountFindings:
        try:
            found, unread = standing_assignments(self.center, self.records.made_by_gatehouse(),
                                                 list(self.rules()))
        except Exception as exc:  # the digest goes on without this source, saying so
            log.warning("Identity Center drift not read", extra={"error": str(exc)})
            return AccountFindings(missing_everywhere=(drift_missing(
                f"standing assignments not read: {exc}"),))
        findings: dict[str, tuple] = {}
        for standing in found:
            holder = StandingHolder(standing.key, standing.request_name, standing.account,
                                    standing.permission_set, self._name(standing.key.user_id))
            account_id = standing.key.account_id
            findings[account_id] = (*findings.get(account_id, ()), standing_finding(holder))
        missing: dict[str, tuple] = {}
        for item in unread:
            missing[item.account_id] = (*missing.get(item.account_id, ()),
                                        drift_missing(item.words))
        return AccountFindings(findings=findings, missing=missing)

    def _name(self, user_id: str) -> str:
        try:
            return self.center.user_name(user_id)
        except AwsError:
            return ""
