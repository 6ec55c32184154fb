"""Drift: user assignments of the configured permission sets that Gatehouse did not make."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from config.identity_center import PermissionSetConfig
from domain.errors import AwsError
from domain.identity_center import Assignment, AssignmentKey, standing_user_assignments
from services.identity_center import IdentityCenterPort


class AssignmentReader(IdentityCenterPort, Protocol):
    def assignments(self, account_id: str, permission_set_arn: str) -> list[Assignment]: ...


@dataclass(frozen=True)
class StandingAssignment:
    """Someone holds a configured permission set in an account permanently, outside Gatehouse."""

    request_name: str
    account: str
    key: AssignmentKey

    def words(self) -> str:
        return (f"user {self.key.user_id} holds {self.request_name} in account {self.account} "
                f"({self.key.account_id}) permanently, outside Gatehouse")


def standing_assignments(center: AssignmentReader, made_by_gatehouse: Iterable[AssignmentKey],
                         rules: Iterable[PermissionSetConfig],
                         ) -> tuple[list[StandingAssignment], list[str]]:
    """(standing user assignments, what could not be read, in words naming it)."""
    ours = list(made_by_gatehouse)
    found: list[StandingAssignment] = []
    missing: list[str] = []
    for rule in rules:
        try:
            permission_set = center.permission_set(rule.permission_set)
            if permission_set is None:
                missing.append(f"{rule.name}: no permission set '{rule.permission_set}'")
                continue
            held = center.assignments(rule.account_id, permission_set.arn)
        except AwsError as exc:
            missing.append(f"{rule.name} in account {rule.account}: {exc}")
            continue
        seen = {standing.key for standing in found}  # two rules may name one assignment
        found += [StandingAssignment(rule.name, rule.account, key)
                  for key in standing_user_assignments(held, ours) if key not in seen]
    return found, missing
