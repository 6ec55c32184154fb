"""What happens to a key rotation after the command: recover, conceal, deactivate, delete."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from aws.errors import AwsError
from domain.requests import Status
from domain.rotation import (
    UNDELIVERED,
    WARNING_NOTICE,
    KeyFacts,
    Rotation,
    RotationState,
    find_key,
    orphan_key,
    stamp,
    used_since_new_key,
)
from services.context import SYSTEM
from services.key_ports import KeyDeps, deactivation_key, job_key
from services.sweep import Sweeper
from storage.database import to_iso
from storage.jobs import Job

log = logging.getLogger("gatehouse.keys")
T = TypeVar("T")
RECOVERY_DEADLINE = timedelta(minutes=5)
CRASHED = ("Gatehouse stopped in the middle of the rotation, before it could give you the new "
           "key, so any key it had created was deleted; your current key is unchanged.")


class StillDelivering(Exception):
    """This Gatehouse is still delivering the key; the recovery job tries again later."""


class KeyLifecycle:
    def __init__(self, deps: KeyDeps) -> None:
        self.deps = deps
        self.ctx = deps.ctx
        self.rotations = deps.rotations
        self._in_flight: set[int] = set()
        self._lock = threading.Lock()

    def register(self, sweeper: Sweeper) -> None:
        sweeper.register("key_recover", self._on_recover)
        sweeper.register("key_conceal", self._on_conceal)
        sweeper.register("key_deactivate", self._on_deactivate)
        sweeper.register("key_delete", self._on_delete)

    def resume(self, now: datetime) -> None:
        """Rotations an earlier run left undelivered are recovered by the next sweep."""
        for rotation in self.rotations.undelivered():
            if rotation.owner != self.deps.owner:
                self.ctx.jobs.schedule("key_recover", now, key=job_key(rotation.id),
                                       payload={"rotation": rotation.id})

    def holding(self, rotation_id: int, busy: bool) -> None:
        """Mark a rotation as being delivered by this process (the recovery leaves it alone)."""
        with self._lock:
            (self._in_flight.add if busy else self._in_flight.discard)(rotation_id)

    def _busy(self, rotation: Rotation) -> bool:
        with self._lock:
            return rotation.owner == self.deps.owner and rotation.id in self._in_flight

    # --- jobs -----------------------------------------------------------------------------

    def _rotation(self, job: Job) -> Rotation | None:
        return self.rotations.get(int(job.payload.get("rotation", 0)))

    def _on_recover(self, job: Job, now: datetime) -> None:
        rotation = self._rotation(job)
        if rotation is None or rotation.state not in UNDELIVERED:
            return
        if self._busy(rotation):
            raise StillDelivering(f"rotation {rotation.id} is still being delivered")
        self.withdraw(rotation, now, CRASHED)

    def _on_conceal(self, job: Job, now: datetime) -> None:
        rotation = self._rotation(job)
        if rotation is not None and rotation.secret_shown:
            self.conceal(rotation, SYSTEM, now, "removed after an hour")

    def _on_deactivate(self, job: Job, now: datetime) -> None:
        rotation = self._rotation(job)
        if rotation is None or rotation.state is not RotationState.DELIVERED:
            return
        if rotation.deactivate_at is None or rotation.deactivate_at > now:
            return  # postponed; a later job carries the new deadline
        self._reporting(rotation, "deactivate", now,
                        lambda: self.retire(rotation, SYSTEM, now, check_use=True))

    def _on_delete(self, job: Job, now: datetime) -> None:
        rotation = self._rotation(job)
        if rotation is None or rotation.state is not RotationState.DEACTIVATED:
            return
        if rotation.delete_at is None or rotation.delete_at > now:
            return
        self._reporting(rotation, "delete", now, lambda: self.finish(rotation, SYSTEM, now))

    # --- before delivery ----------------------------------------------------------------------

    def withdraw(self, rotation: Rotation, now: datetime, why: str) -> Rotation | None:
        """Delete the key this rotation created but never delivered; close it as failed."""
        current = [] if rotation.new_key_id else self.deps.port.list_keys(rotation.iam_user)
        orphan = orphan_key(rotation, current)
        if orphan:
            self.deps.port.delete_key(rotation.iam_user, orphan)
        with self.ctx.repo.store.transaction():
            moved = self.rotations.move(
                rotation.id, RotationState.FAILED, actor=SYSTEM, now=now, expect=UNDELIVERED,
                action="key.orphan_deleted" if orphan else "key.failed", note=why,
                details={"why": why, "deleted_key_id": orphan})
            if moved is None:
                return None
            self.ctx.jobs.cancel("key_recover", job_key(rotation.id), now)
            request = self.close_request(moved, Status.FAILED, why, now)
        log.warning("key rotation withdrawn", extra={"rotation": rotation.id,
                                                     "deleted_key_id": orphan})
        self._tell_withdrawn(moved, why, request)
        return moved

    def fail(self, rotation: Rotation, why: str, now: datetime) -> None:
        """Close a rotation that created nothing (AWS refused CreateAccessKey)."""
        with self.ctx.repo.store.transaction():
            moved = self.rotations.move(rotation.id, RotationState.FAILED, actor=SYSTEM, now=now,
                                        expect=[RotationState.CREATING], note=why,
                                        details={"why": why})
            if moved is None:
                return
            self.ctx.jobs.cancel("key_recover", job_key(rotation.id), now)
            request = self.close_request(moved, Status.FAILED, why, now)
        if request is not None:  # without one, the requester's answer says why
            self._tell_request(request, why)
            self._quietly(self.ctx.slack.dm, request.requester,
                          f"{request.label} (key rotation) failed: {why}")

    def close_request(self, rotation: Rotation, status: Status, why: str,
                      now: datetime) -> Any:
        """End the approval request that started this rotation, if any (in the caller's
        transaction); returns it so that its thread can be told afterwards."""
        if rotation.request_id is None:
            return None
        return self.ctx.repo.move(rotation.request_id, status, actor=SYSTEM, now=now,
                                  expect=[Status.ACTIVE], note=why[:500],
                                  details={"rotation": rotation.id, "why": why})

    def _tell_withdrawn(self, rotation: Rotation, why: str, request: Any) -> None:
        again = ("`/access rotate-key` again" if not rotation.for_someone_else else
                 f"`/access rotate-key <@{rotation.holder}>` again")
        self._quietly(self.ctx.slack.dm, rotation.holder,
                      f"Your access-key rotation did not finish. {why} Run `/access rotate-key` "
                      "again to get a new key.")
        if rotation.for_someone_else:
            self._quietly(self.ctx.slack.dm, rotation.requested_by,
                          f"The rotation of <@{rotation.holder}>'s access key did not finish. "
                          f"{why} Run {again}.")
        if request is not None:
            self._tell_request(request, why)

    def _tell_request(self, request: Any, why: str) -> None:
        self.ctx.slack.thread(request, f"{request.label} failed: {why}")
        self.ctx.slack.refresh_request(request, self.ctx.repo.approvers_of(request.id))

    # --- after delivery -------------------------------------------------------------------

    def conceal(self, rotation: Rotation, actor: str, now: datetime, why: str) -> None:
        self.deps.slack.conceal_key(rotation, why)
        self.rotations.update(rotation.id, secret_shown=False)
        self.ctx.jobs.cancel("key_conceal", job_key(rotation.id), now)
        self.rotations.record(rotation, "key.secret_removed", actor, now, {"why": why})

    def retire(self, rotation: Rotation, actor: str, now: datetime, *, check_use: bool) -> None:
        """Deactivate the old key (after warning once if it is still in use)."""
        old = find_key(self.deps.port.list_keys(rotation.iam_user), rotation.old_key_id)
        if old is None:
            self.complete(rotation, actor, now, "the old key had already been deleted")
            return
        if check_use and not rotation.warned and used_since_new_key(old, rotation):
            self._warn(rotation, old, now)
            return
        if old.is_active:
            self.deps.port.set_key_status(rotation.iam_user, old.key_id, active=False)
        delete_at = now + timedelta(seconds=self.ctx.config.keys.delete_after)
        with self.ctx.repo.store.transaction():
            moved = self.rotations.move(rotation.id, RotationState.DEACTIVATED, actor=actor,
                                        now=now, expect=[RotationState.DELIVERED],
                                        delete_at=delete_at)
            if moved is None:
                return
            if rotation.deactivate_at:
                self.ctx.jobs.cancel("key_deactivate",
                                     deactivation_key(rotation.id, rotation.deactivate_at), now)
            self.ctx.jobs.schedule("key_delete", delete_at, key=job_key(rotation.id),
                                   payload={"rotation": rotation.id})
        self._quietly(self.ctx.slack.dm, rotation.holder,
                      f"Your old access key `{old.key_id}` is now inactive; Gatehouse deletes it "
                      f"at {stamp(delete_at)}. Your key is `{rotation.new_key_id}`.")
        self.ctx.slack.home_changed({rotation.holder})

    def _warn(self, rotation: Rotation, old: KeyFacts, now: datetime) -> None:
        until = now + WARNING_NOTICE
        with self.ctx.repo.store.transaction():
            self.rotations.update(rotation.id, warned=True, deactivate_at=until)
            self.ctx.jobs.schedule("key_deactivate", until,
                                   key=deactivation_key(rotation.id, until),
                                   payload={"rotation": rotation.id})
            self.rotations.record(rotation, "key.old_key_in_use", SYSTEM, now, {
                "last_used": old.last_used.isoformat() if old.last_used else None,
                "service": old.last_used_service, "region": old.last_used_region,
                "deactivate_at": to_iso(until)})
        current = self.rotations.get(rotation.id)
        self.deps.slack.warn_old_key_used(current, old, now)
        where = ", ".join(p for p in (old.last_used_service, old.last_used_region) if p)
        for admin in self.ctx.config.admins:
            self._quietly(self.ctx.slack.dm, admin,
                          f"<@{rotation.holder}>'s old access key `{old.key_id}` (IAM user "
                          f"`{rotation.iam_user}`) was used at {stamp(old.last_used)}"
                          f"{f' ({where})' if where else ''} after its replacement was issued. "
                          f"Gatehouse deactivates it at {stamp(until)} unless they postpone.")

    def finish(self, rotation: Rotation, actor: str, now: datetime) -> None:
        """Delete the inactive old key; the new key is then the holder's only key."""
        if rotation.old_key_id:
            self.deps.port.delete_key(rotation.iam_user, rotation.old_key_id)
        self.complete(rotation, actor, now, None)

    def complete(self, rotation: Rotation, actor: str, now: datetime, note: str | None) -> None:
        deleted = rotation.state is RotationState.DEACTIVATED
        with self.ctx.repo.store.transaction():
            moved = self.rotations.move(rotation.id, RotationState.COMPLETED, actor=actor,
                                        now=now, note=note,
                                        details={"note": note} if note else None)
            if moved is None:
                return
            for action in ("key_delete", "key_recover"):
                self.ctx.jobs.cancel(action, job_key(rotation.id), now)
            if deleted:
                self.rotations.record(moved, "key.rotated", actor, now)
        if rotation.old_key_id:
            self._quietly(self.ctx.slack.dm, rotation.holder,
                          f"Key rotation complete: the old key `{rotation.old_key_id}` is "
                          f"deleted and `{rotation.new_key_id}` is your only access key.")
        self.ctx.slack.home_changed({rotation.holder})

    # --- failures ------------------------------------------------------------------------

    def _reporting(self, rotation: Rotation, step: str, now: datetime,
                   work: Callable[[], T]) -> T:
        """Run a scheduled AWS step; on its first refusal tell the holder and the admins.

        The exception goes on to the sweeper, which retries with a growing delay.
        """
        try:
            return work()
        except AwsError as refusal:
            if rotation.refused_step != step:
                self.rotations.update(rotation.id, refused_step=step)
                self.report_refusal(rotation, step, refusal, SYSTEM, now)
                self._tell_refusal(rotation, step, refusal)
            raise

    def report_refusal(self, rotation: Rotation, step: str, refusal: AwsError, actor: str,
                       now: datetime) -> None:
        self.rotations.record(rotation, "key.failed", actor, now,
                              {"step": step, "error": refusal.message, "code": refusal.code})

    def _tell_refusal(self, rotation: Rotation, step: str, refusal: AwsError) -> None:
        key = rotation.old_key_id
        text = (f"Gatehouse could not {step} the old access key `{key}` of IAM user "
                f"`{rotation.iam_user}`: {refusal.message}. It keeps trying, less often each "
                "time; until then that key stays as it is.")
        for user in {rotation.holder, *self.ctx.config.admins}:
            self._quietly(self.ctx.slack.dm, user, text)

    @staticmethod
    def _quietly(send: Callable[..., Any], *args: Any) -> None:
        """A notice must not undo the step it reports: log a failure and go on."""
        try:
            send(*args)
        except Exception as exc:  # Slack being down must not stop key housekeeping
            log.warning("could not send a key notice", extra={"error": type(exc).__name__})

