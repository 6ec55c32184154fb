"""Access-key rotation use cases: rotate (directly or after approval), the buttons, reading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from aws.errors import AwsError
from domain.errors import UserError
from domain.requests import AccessRequest, Kind, Status
from domain.rotation import (
    KeyFacts,
    Rotation,
    RotationState,
    find_key,
    postponed_until,
    stamp,
)
from services.access import AccessService
from services.context import SYSTEM
from services.key_lifecycle import KeyLifecycle
from services.key_ports import KeyDeps, deactivation_key, refused
from services.key_rotation import KeyRotator
from storage.repository import DuplicateRequest
from storage.rotations import AUDIT_ROLE

READ_REFRESH = timedelta(minutes=1)  # lists and App Home re-read IAM users at most this often


@dataclass(frozen=True)
class KeyOverview:
    """A holder's IAM user, its keys, and the rotation under way, for lists and App Home."""

    iam_user: str
    keys: list[KeyFacts]
    rotation: Rotation | None


class KeyService:
    def __init__(self, deps: KeyDeps, lifecycle: KeyLifecycle, rotator: KeyRotator,
                 access: AccessService) -> None:
        self.deps = deps
        self.ctx = deps.ctx
        self.rotations = deps.rotations
        self.lifecycle = lifecycle
        self.rotator = rotator
        self.access = access

    # --- the command ----------------------------------------------------------------------

    def request(self, requested_by: str, holder: str, now: datetime) -> str:
        """`/access rotate-key [@user]`: rotate now, or file it for approval."""
        if holder != requested_by and not self.ctx.is_admin(requested_by):
            raise UserError("Only Gatehouse admins can rotate someone else's key. "
                            "Write `/access rotate-key` to rotate your own.")
        if self.ctx.config.keys.requires_approval:
            iam_user, _ = self.rotator.prepare(holder, now)
            return self._file(requested_by, holder, iam_user, now)
        return self.rotator.confirmation(self.rotator.rotate(holder, requested_by, now))

    def _file(self, requested_by: str, holder: str, iam_user: str, now: datetime) -> str:
        try:
            request = self.ctx.repo.create_request(
                kind=Kind.KEY, requester=requested_by, role=AUDIT_ROLE, duration_seconds=0,
                reason=f"Rotate the access key of IAM user {iam_user}", approvals_required=1,
                now=now, target_user=holder)
        except DuplicateRequest as exc:
            raise UserError(f"{exc.existing.label} already asks to rotate this key; wait for "
                            "an admin's decision.") from None
        self.access.schedule_pending_jobs(request, now)
        self.access.announce(request.id, now)
        return (f"{request.label} filed: rotating the access key of IAM user `{iam_user}` waits "
                f"for an admin's approval in <#{self.ctx.channel_for(request)}>.")

    def activate(self, request: AccessRequest, now: datetime) -> None:
        """An admin approved a rotation request: rotate now, or close the request as failed."""
        if self.rotations.of_request(request.id) is not None:
            self.ctx.jobs.cancel("activate", f"request:{request.id}", now)
            return
        holder = request.target_user or request.requester
        try:
            rotation = self.rotator.rotate(holder, request.requester, now,
                                           request_id=request.id)
        except UserError as refusal:
            self._fail_request(request, str(refusal), now)
            return
        self.ctx.slack.thread(request, f"Rotated: new key `{rotation.new_key_id}` was sent to "
                                       f"<@{holder}> in a DM.")
        self.ctx.slack.refresh_request(self.ctx.request(request.id),
                                       self.ctx.repo.approvers_of(request.id))
        if rotation.for_someone_else:
            answer = self.rotator.confirmation(rotation)
            self.ctx.slack.dm(request.requester, f"{request.label}: {answer}")

    def _fail_request(self, request: AccessRequest, why: str, now: datetime) -> None:
        with self.ctx.repo.store.transaction():
            moved = self.ctx.repo.move(request.id, Status.FAILED, actor=SYSTEM, now=now,
                                       expect=[Status.APPROVED], note=why[:500],
                                       details={"why": why})
            self.ctx.jobs.cancel("activate", f"request:{request.id}", now)
        if moved is None:
            return  # the rotation itself closed the request and said why
        self.ctx.slack.thread(moved, f"{moved.label} failed: {why}")
        self.ctx.slack.refresh_request(moved, self.ctx.repo.approvers_of(moved.id))
        self.ctx.slack.dm(moved.requester, f"{moved.label} (key rotation) failed: {why}")

    # --- buttons --------------------------------------------------------------------------

    def stored(self, rotation_id: int, user: str, now: datetime) -> str:
        rotation = self._rotation(rotation_id)
        if user != rotation.holder:
            raise UserError("Only the key's holder can do that.")
        if not rotation.secret_shown:
            return "The secret was already removed from that message."
        self.lifecycle.conceal(rotation, user, now, "stored by its holder")
        return "The secret was removed from the message. Keep it only where you stored it."

    def deactivate_now(self, rotation_id: int, user: str, now: datetime) -> str:
        rotation = self._owned(rotation_id, user)
        if rotation.state is not RotationState.DELIVERED:
            raise UserError(f"The old key `{rotation.old_key_id}` is no longer active under this "
                            f"rotation ({rotation.state.value}); there is nothing to deactivate.")
        try:
            self.lifecycle.retire(rotation, user, now, check_use=False)
        except AwsError as exc:
            self.lifecycle.report_refusal(rotation, "deactivate", exc, user, now)
            raise refused(f"deactivate `{rotation.old_key_id}`", exc) from None
        return f"The old key `{rotation.old_key_id}` is now inactive."

    def postpone(self, rotation_id: int, user: str, now: datetime) -> str:
        rotation = self._owned(rotation_id, user)
        if rotation.state is not RotationState.DELIVERED or rotation.deactivate_at is None:
            raise UserError(f"The old key `{rotation.old_key_id}` is no longer waiting to be "
                            "deactivated, so there is nothing to postpone.")
        until = postponed_until(rotation, now)
        with self.ctx.repo.store.transaction():
            self.ctx.jobs.cancel("key_deactivate",
                                 deactivation_key(rotation.id, rotation.deactivate_at), now)
            self.rotations.update(rotation.id, deactivate_at=until,
                                  postponements=rotation.postponements + 1)
            self.ctx.jobs.schedule("key_deactivate", until,
                                   key=deactivation_key(rotation.id, until),
                                   payload={"rotation": rotation.id})
            self.rotations.record(rotation, "key.deactivation_postponed", user, now,
                                  {"deactivate_at": stamp(until)})
        return (f"Postponed: the old key `{rotation.old_key_id}` is deactivated at "
                f"{stamp(until)}. Move whatever still uses it to the new key before then.")

    def delete_inactive(self, holder: str, key_id: str, user: str, now: datetime) -> str:
        """Delete an inactive key that fills the second slot, then rotate as asked."""
        if user != holder and not self.ctx.is_admin(user):
            raise UserError("Only the key's holder or a Gatehouse admin can do that.")
        iam_user, keys = self.rotator.keys_of(holder, now)
        key = find_key(keys, key_id)
        if key is None or key.is_active:
            state = "is gone already" if key is None else "is active again"
            raise UserError(f"The key `{key_id}` {state}, so Gatehouse did not delete it. "
                            "Run `/access rotate-key` again to see where things stand.")
        self._delete_inactive_key(holder, iam_user, key_id, user, now)
        return self.request(user, holder, now)

    def _delete_inactive_key(self, holder: str, iam_user: str, key_id: str, user: str,
                             now: datetime) -> None:
        current = self.rotations.open_for(iam_user)
        try:
            if current is not None and current.old_key_id == key_id \
                    and current.state is RotationState.DEACTIVATED:
                self.lifecycle.finish(current, user, now)
                return
            self.deps.port.delete_key(iam_user, key_id)
        except AwsError as exc:
            raise refused(f"delete `{key_id}`", exc) from None
        self.ctx.audit.append(at=now, actor=user, action="key.deleted", role=AUDIT_ROLE,
                              subject=holder, details={"iam_user": iam_user, "key_id": key_id,
                                                       "why": "inactive, to make room"})

    def _rotation(self, rotation_id: int) -> Rotation:
        rotation = self.rotations.get(rotation_id)
        if rotation is None:
            raise UserError("That button is out of date; `/access list` shows your keys.")
        return rotation

    def _owned(self, rotation_id: int, user: str) -> Rotation:
        rotation = self._rotation(rotation_id)
        if user not in (rotation.holder, rotation.requested_by) and not self.ctx.is_admin(user):
            raise UserError("Only the key's holder or a Gatehouse admin can do that.")
        return rotation

    # --- reading --------------------------------------------------------------------------

    def overview(self, holder: str, now: datetime) -> KeyOverview | None:
        """The holder's keys, or None when they are not linked to an IAM user."""
        try:
            user = self.deps.port.find_user(holder, now, refresh_after=READ_REFRESH)
        except AwsError as exc:
            raise UserError(f"Gatehouse could not read the IAM users: {exc.message}") from None
        if user is None:
            return None
        _, keys = self.rotator.keys_of(holder, now)
        return KeyOverview(user.name, keys, self.rotations.open_for(user.name))

