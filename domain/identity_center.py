"""Identity Center in our terms: users, permission sets, assignments and who still needs them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

DEFAULT_SESSION_SECONDS = 3600  # a permission set without SessionDuration lasts PT1H
# Clock skew and policy propagation: a session deny stays this long past the last session.
DENY_LIFT_MARGIN = timedelta(minutes=10)
_ISO_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


@dataclass(frozen=True)
class IdentityCenterUser:
    """A user of the identity store, found by e-mail."""

    user_id: str
    user_name: str
    display_name: str


@dataclass(frozen=True)
class PermissionSet:
    """A permission set of the instance; `session_seconds` bounds every session it opens."""

    arn: str
    name: str
    session_seconds: int
    description: str = ""


@dataclass(frozen=True)
class AssignmentKey:
    """One account assignment of a permission set to one user (principal type USER)."""

    account_id: str
    permission_set_arn: str
    user_id: str

    def label(self) -> str:
        return f"{self.permission_set_arn} for user {self.user_id} in account {self.account_id}"


@dataclass(frozen=True)
class Assignment:
    """An assignment as ListAccountAssignments reports it; groups are principals too."""

    account_id: str
    permission_set_arn: str
    principal_type: str
    principal_id: str

    def user_key(self) -> AssignmentKey | None:
        if self.principal_type != "USER":
            return None
        return AssignmentKey(self.account_id, self.permission_set_arn, self.principal_id)


@dataclass(frozen=True)
class Operation:
    """An asynchronous Identity Center change that reached an end (SUCCEEDED)."""

    what: str
    request_id: str
    status: str


@dataclass(frozen=True)
class SessionDeny:
    """The deny on a permission set that ends one user's sessions issued before a cut-off."""

    permission_set_arn: str
    user_id: str
    issued_before: datetime

    def lift_at(self, session_seconds: int) -> datetime:
        """When no session it targets can still be alive, so the deny may go."""
        return deny_lift_at(self.issued_before, session_seconds)


def session_seconds(iso_duration: str | None) -> int:
    """`PT8H` -> 28800; a permission set's SessionDuration (ISO 8601, hours to seconds)."""
    if not iso_duration:
        return DEFAULT_SESSION_SECONDS
    match = _ISO_DURATION.match(iso_duration.strip().upper())
    if not match or not any(match.groups()):
        raise ValueError(f"'{iso_duration}' is not a session duration like PT1H or PT30M")
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def deny_lift_at(issued_before: datetime, session_seconds: int) -> datetime:
    """A session issued just before the cut-off lives at most `session_seconds` after it."""
    return issued_before + timedelta(seconds=session_seconds) + DENY_LIFT_MARGIN


def standing_user_assignments(assignments: Iterable[Assignment],
                              tracked: Iterable[AssignmentKey]) -> list[AssignmentKey]:
    """User assignments Gatehouse does not hold a live grant for: access outside Gatehouse."""
    held = set(tracked)
    keys = (assignment.user_key() for assignment in assignments)
    return [key for key in keys if key is not None and key not in held]


# --- reference counting: an assignment lives while any Gatehouse grant needs it -------------


@dataclass(frozen=True)
class AssignmentClaims:
    """Gatehouse's record of one assignment: the live grants needing it, and whether it
    existed before Gatehouse first created it (standing access, never removed by Gatehouse).

    A record with no grants and `standing` False is an assignment Gatehouse still has to
    delete; it stays until the deletion is done, so a grant starting meanwhile knows that the
    assignment it finds is Gatehouse's own, not standing access.
    """

    key: AssignmentKey
    standing: bool
    grants: frozenset[int] = field(default_factory=frozenset)

    def may_delete(self) -> bool:
        """True only when no Gatehouse grant needs the assignment and it is not standing."""
        return not self.grants and not self.standing


@dataclass(frozen=True)
class GrantStart:
    """What starting a grant does: the record to store, and whether to create the assignment."""

    claims: AssignmentClaims
    create: bool


@dataclass(frozen=True)
class GrantEnd:
    """What ending a grant does: the record to store (None: forget it) and whether to delete."""

    claims: AssignmentClaims | None
    delete: bool


def start_grant(claims: AssignmentClaims | None, key: AssignmentKey, grant_id: int, *,
                assignment_exists: bool) -> GrantStart:
    """Add `grant_id` to the assignment's claims; create it when it does not exist.

    The first claim decides standing: an assignment that exists while Gatehouse holds no
    record of it was made outside Gatehouse.
    """
    if claims is None:
        claims = AssignmentClaims(key=key, standing=assignment_exists)
    grants = claims.grants | {grant_id}
    return GrantStart(claims=replace(claims, grants=grants), create=not assignment_exists)


def end_grant(claims: AssignmentClaims | None, grant_id: int) -> GrantEnd:
    """Remove `grant_id`; delete the assignment only when that was the last claim on it and it
    is not standing access. Ending an unknown or already-ended grant changes nothing."""
    if claims is None:
        return GrantEnd(claims=None, delete=False)
    left = replace(claims, grants=claims.grants - {grant_id})
    if left.grants:
        return GrantEnd(claims=left, delete=False)
    if left.standing:
        return GrantEnd(claims=None, delete=False)
    return GrantEnd(claims=left, delete=True)


def after_deletion(claims: AssignmentClaims | None) -> GrantStart | None:
    """The record once a deletion finished (None: forget it). A grant that claimed the
    assignment while it was being deleted found it still there and did not create it, so
    it is created again now."""
    if claims is None or claims.may_delete():
        return None
    return GrantStart(claims=claims, create=True)
