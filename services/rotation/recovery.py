"""Before delivery: a rotation that created a key nobody received is withdrawn, key deleted."""

from __future__ import annotations

import threading
from datetime import datetime

from domain.iam import AccessKey
from domain.jobs import JobKind, RotationJob
from domain.requests import AccessRequest, Status
from domain.rotation import (
    UNDELIVERED,
    Rotation,
    RotationState,
    describe_key,
    unexplained_keys,
)
from services.rotation.ports import (
    ApprovalRequests,
    IamKeys,
    IamKeysByAccount,
    JobQueue,
    KeyMessages,
    Notices,
    RotationStore,
    StoredJob,
    UnitOfWork,
    rotation_of,
)
from services.rotation.shared import SYSTEM, KeysIn, job_key, log, quietly

CRASHED = ("Gatehouse stopped in the middle of the rotation, before you had the new key, so the "
           "rotation was withdrawn (a new key whose id it had recorded is deleted); your current "
           "key is unchanged.")


class StillDelivering(Exception):
    """This Gatehouse is still delivering the key; the recovery job tries again later."""


class KeyRecovery:
    """Closes rotations that stopped before the holder had the key, deleting what they made."""

    def __init__(self, rotations: RotationStore, iam: IamKeys, requests: ApprovalRequests,
                 notices: Notices, jobs: JobQueue, uow: UnitOfWork, owner: str,
                 messages: KeyMessages, admins: tuple[str, ...],
                 by_account: IamKeysByAccount | None = None) -> None:
        self.rotations = rotations
        self.keys_in = KeysIn(iam, by_account)  # each rotation acts in its own account
        self.messages = messages
        self.admins = admins
        self.iam = iam
        self.requests = requests
        self.notices = notices
        self.jobs = jobs
        self.uow = uow
        self.owner = owner
        self._in_flight: set[int] = set()
        self._lock = threading.Lock()

    def resume(self, now: datetime) -> None:
        """Rotations an earlier run left undelivered are recovered by the next sweep."""
        for rotation in self.rotations.undelivered():
            if rotation.owner != self.owner:
                self.jobs.schedule(JobKind.KEY_RECOVER, now, key=job_key(rotation.id),
                                   payload=RotationJob(rotation.id))

    def holding(self, rotation_id: int, busy: bool) -> None:
        """Mark a rotation as being delivered by this process (the recovery leaves it alone)."""
        with self._lock:
            (self._in_flight.add if busy else self._in_flight.discard)(rotation_id)

    def _busy(self, rotation: Rotation) -> bool:
        with self._lock:
            return rotation.owner == self.owner and rotation.id in self._in_flight

    def on_recover(self, job: StoredJob, now: datetime) -> None:
        rotation = self.rotations.get(rotation_of(job))
        if rotation is None or rotation.state not in UNDELIVERED:
            return
        if self._busy(rotation):
            raise StillDelivering(f"rotation {rotation.id} is still being delivered")
        self.withdraw(rotation, now, CRASHED)

    def withdraw(self, rotation: Rotation, now: datetime, why: str) -> Rotation | None:
        """Delete the key this rotation recorded but never delivered; close it as failed.

        A key whose id was never recorded is not deleted: it may be someone else's. The holder
        and the admins are told which keys exist instead.
        """
        unexplained = [] if rotation.new_key_id else unexplained_keys(
            rotation, self.keys_in(rotation.account).list_keys(rotation.iam_user))
        if rotation.new_key_id:
            self.keys_in(rotation.account).delete_key(rotation.iam_user, rotation.new_key_id)
        action = ("key.orphan_deleted" if rotation.new_key_id else
                  "key.unrecorded_key_left" if unexplained else "key.failed")
        with self.uow.transaction():
            moved = self.rotations.move(
                rotation.id, RotationState.FAILED, actor=SYSTEM, now=now, expect=UNDELIVERED,
                action=action, note=why, secret_shown=bool(rotation.dm_ts), details={
                    "why": why, "deleted_key_id": rotation.new_key_id,
                    "unrecorded_keys": [key.key_id for key in unexplained]})
            if moved is None:
                return None
            self.jobs.cancel(JobKind.KEY_RECOVER, job_key(rotation.id), now)
            request = self.close_request(moved, Status.FAILED, why, now)
        log.warning("key rotation withdrawn", extra={"rotation": rotation.id,
                                                     "deleted_key_id": rotation.new_key_id})
        self.scrub(moved, now)
        self._tell_withdrawn(moved, why, request)
        if unexplained:
            self._tell_unexplained(moved, unexplained, now)
        return moved

    def fail(self, rotation: Rotation, why: str, now: datetime) -> None:
        """Close a rotation that created nothing (AWS refused CreateAccessKey, no DM)."""
        with self.uow.transaction():
            moved = self.rotations.move(rotation.id, RotationState.FAILED, actor=SYSTEM, now=now,
                                        expect=[RotationState.CREATING], note=why,
                                        secret_shown=bool(rotation.dm_ts), details={"why": why})
            if moved is None:
                return
            self.jobs.cancel(JobKind.KEY_RECOVER, job_key(rotation.id), now)
            request = self.close_request(moved, Status.FAILED, why, now)
        self.scrub(moved, now)
        if request is not None:  # without one, the requester's answer says why
            self._tell_request(request, why)
            quietly(self.notices.dm, request.requester,
                    f"{request.label} (key rotation) failed: {why}")

    def scrub(self, rotation: Rotation, now: datetime) -> None:
        """Edit the key DM of a failed rotation to say so; if Slack refuses, a stored job
        tries again (the DM may hold a secret of a deleted key)."""
        if not rotation.dm_ts:
            return
        try:
            self.messages.conceal_key(rotation, "withdrawn")
        except Exception as exc:  # retried by the key_conceal job
            log.warning("could not edit a withdrawn key DM", extra={"error": type(exc).__name__})
            self.jobs.schedule(JobKind.KEY_CONCEAL, now, key=job_key(rotation.id),
                               payload=RotationJob(rotation.id))
            return
        self.rotations.update(rotation.id, secret_shown=False)

    def _tell_unexplained(self, rotation: Rotation, keys: list[AccessKey],
                          now: datetime) -> None:
        listed = "\n".join(f"• {describe_key(key, now)}" for key in
                           self.keys_in(rotation.account).list_keys(rotation.iam_user))
        text = (f"A rotation of <@{rotation.holder}>'s access key (IAM user "
                f"`{rotation.iam_user}`) stopped before Gatehouse recorded the id of the key it "
                f"was creating. A key it does not know appeared meanwhile "
                f"({', '.join(f'`{key.key_id}`' for key in keys)}), so Gatehouse deleted "
                f"nothing. The keys now are:\n{listed}\nDelete the one nobody has (IAM console; "
                "nobody received a secret from Gatehouse), then run `/access rotate-key` again.")
        for user in {rotation.holder, *self.admins}:
            quietly(self.notices.dm, user, text)

    def close_request(self, rotation: Rotation, status: Status, why: str,
                      now: datetime) -> AccessRequest | None:
        """End the approval request that started this rotation, if any (in the caller's
        transaction); returns it so that its thread can be told afterwards."""
        if rotation.request_id is None:
            return None
        return self.requests.move(rotation.request_id, status, actor=SYSTEM, now=now,
                                  expect=[Status.ACTIVE], note=why[:500],
                                  details={"rotation": rotation.id, "why": why})

    def _tell_withdrawn(self, rotation: Rotation, why: str,
                        request: AccessRequest | None) -> None:
        again = ("`/access rotate-key` again" if not rotation.for_someone_else else
                 f"`/access rotate-key <@{rotation.holder}>` again")
        quietly(self.notices.dm, rotation.holder,
                f"Your access-key rotation did not finish. {why} Run `/access rotate-key` "
                "again to get a new key.")
        if rotation.for_someone_else:
            quietly(self.notices.dm, rotation.requested_by,
                    f"The rotation of <@{rotation.holder}>'s access key did not finish. "
                    f"{why} Run {again}.")
        if request is not None:
            self._tell_request(request, why)

    def _tell_request(self, request: AccessRequest, why: str) -> None:
        self.notices.thread(request, f"{request.label} failed: {why}")
        self.notices.refresh_request(request, self.requests.approvers_of(request.id))
