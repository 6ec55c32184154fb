"""After delivery: conceal the secret, deactivate the old key (warning once), then delete it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from domain.errors import CloudError
from domain.iam import AccessKey
from domain.jobs import JobKind, RotationJob
from domain.rotation import (
    WARNING_NOTICE,
    Rotation,
    RotationState,
    find_key,
    stamp,
    used_since_new_key,
)
from domain.text import iso_time
from services.rotation.ports import (
    IamKeys,
    IamKeysByAccount,
    JobQueue,
    KeyMessages,
    Notices,
    RotationSettings,
    RotationStore,
    StoredJob,
    UnitOfWork,
    rotation_of,
)
from services.rotation.shared import SYSTEM, KeysIn, deactivation_key, job_key, quietly

T = TypeVar("T")
KEPT = "the old key was made active again by hand and is kept"


class KeyRetirer:
    """Each scheduled step re-reads the rotation and IAM, so it is safe to run twice."""

    def __init__(self, rotations: RotationStore, iam: IamKeys, messages: KeyMessages,
                 notices: Notices, jobs: JobQueue, uow: UnitOfWork,
                 settings: RotationSettings, by_account: IamKeysByAccount | None = None) -> None:
        self.rotations = rotations
        self.iam = iam
        self.keys_in = KeysIn(iam, by_account)  # each rotation acts in its own account
        self.messages = messages
        self.notices = notices
        self.jobs = jobs
        self.uow = uow
        self.settings = settings

    # --- jobs -----------------------------------------------------------------------------

    def _rotation(self, job: StoredJob) -> Rotation | None:
        return self.rotations.get(rotation_of(job))

    def on_conceal(self, job: StoredJob, now: datetime) -> None:
        rotation = self._rotation(job)
        if rotation is not None and rotation.secret_shown:
            self.conceal(rotation, SYSTEM, now, "removed after an hour")

    def on_deactivate(self, job: StoredJob, now: datetime) -> None:
        rotation = self._rotation(job)
        if rotation is None or rotation.state is not RotationState.DELIVERED:
            return
        if rotation.deactivate_at is None or rotation.deactivate_at > now:
            return  # postponed; a later job carries the new deadline
        self._reporting(rotation, "deactivate", now,
                        lambda: self.retire(rotation, SYSTEM, now, check_use=True))

    def on_delete(self, job: StoredJob, now: datetime) -> None:
        rotation = self._rotation(job)
        if rotation is None or rotation.state is not RotationState.DEACTIVATED:
            return
        if rotation.delete_at is None or rotation.delete_at > now:
            return
        self._reporting(rotation, "delete", now, lambda: self._delete_unless_revived(
            rotation, now))

    def _delete_unless_revived(self, rotation: Rotation, now: datetime) -> None:
        """Delete the old key at its deadline, unless someone made it active again by hand:
        then it is somebody's working key, and the holder and the admins are asked."""
        keys = self.keys_in(rotation.account).list_keys(rotation.iam_user)
        old = find_key(keys, rotation.old_key_id)
        if old is None:
            self.complete(rotation, SYSTEM, now, "the old key had already been deleted")
            return
        if not old.is_active:
            self.finish(rotation, SYSTEM, now)
            return
        if rotation.reactivated_at is not None:
            return  # already asked; the answer decides
        with self.uow.transaction():
            self.rotations.update(rotation.id, reactivated_at=now)
            self.rotations.record(rotation, "key.old_key_reactivated", SYSTEM, now, {
                "last_used": old.last_used.isoformat() if old.last_used else None})
        current = self.rotations.get(rotation.id)
        for user in {rotation.holder, *self.settings.admins}:
            quietly(self.messages.ask_about_reactivated, current, user)

    # --- the steps ------------------------------------------------------------------------

    def conceal(self, rotation: Rotation, actor: str, now: datetime, why: str) -> None:
        self.messages.conceal_key(rotation, why)
        self.rotations.update(rotation.id, secret_shown=False)
        self.jobs.cancel(JobKind.KEY_CONCEAL, job_key(rotation.id), now)
        self.rotations.record(rotation, "key.secret_removed", actor, now, {"why": why})

    def retire(self, rotation: Rotation, actor: str, now: datetime, *, check_use: bool) -> None:
        """Deactivate the old key (after warning once if it is still in use)."""
        iam = self.keys_in(rotation.account)
        old = find_key(iam.list_keys(rotation.iam_user), rotation.old_key_id)
        if old is None:
            self.complete(rotation, actor, now, "the old key had already been deleted")
            return
        if check_use and not rotation.warned and used_since_new_key(old, rotation):
            self._warn(rotation, old, now)
            return
        if old.is_active:
            iam.set_key_status(rotation.iam_user, old.key_id, active=False)
        delete_at = now + timedelta(seconds=self.settings.delete_after)
        with self.uow.transaction():
            moved = self.rotations.move(rotation.id, RotationState.DEACTIVATED, actor=actor,
                                        now=now, expect=[RotationState.DELIVERED],
                                        delete_at=delete_at)
            if moved is None:
                return
            if rotation.deactivate_at:
                self.jobs.cancel(JobKind.KEY_DEACTIVATE,
                                 deactivation_key(rotation.id, rotation.deactivate_at), now)
            self.jobs.schedule(JobKind.KEY_DELETE, delete_at, key=job_key(rotation.id),
                               payload=RotationJob(rotation.id))
        quietly(self.notices.dm, rotation.holder,
                f"Your old access key `{old.key_id}` is now inactive; Gatehouse deletes it "
                f"at {stamp(delete_at)}. Your key is `{rotation.new_key_id}`.")
        self.settle(moved)
        self.notices.home_changed({rotation.holder})

    def settle(self, rotation: Rotation) -> None:
        """The old key is inactive or gone: its buttons leave the key DM and the warning.

        While the secret is still shown the key DM is left alone (it cannot be rebuilt
        without the secret); the hourly removal renders it without the button.
        """
        if not rotation.secret_shown:
            quietly(self.messages.conceal_key, rotation, None)
        if rotation.warning_ts:
            quietly(self.messages.settle_warning, rotation)

    def _warn(self, rotation: Rotation, old: AccessKey, now: datetime) -> None:
        until = now + WARNING_NOTICE
        with self.uow.transaction():
            self.rotations.update(rotation.id, warned=True, deactivate_at=until)
            self.jobs.schedule(JobKind.KEY_DEACTIVATE, until,
                               key=deactivation_key(rotation.id, until),
                               payload=RotationJob(rotation.id))
            self.rotations.record(rotation, "key.old_key_in_use", SYSTEM, now, {
                "last_used": old.last_used.isoformat() if old.last_used else None,
                "service": old.last_used_service, "region": old.last_used_region,
                "deactivate_at": iso_time(until)})
        current = self.rotations.get(rotation.id)
        channel, ts = self.messages.warn_old_key_used(current, old, now)
        self.rotations.update(rotation.id, warning_channel=channel, warning_ts=ts)
        where = ", ".join(p for p in (old.last_used_service, old.last_used_region) if p)
        for admin in self.settings.admins:
            quietly(self.notices.dm, admin,
                    f"<@{rotation.holder}>'s old access key `{old.key_id}` (IAM user "
                    f"`{rotation.iam_user}`{self.keys_in.where(rotation.account)}) was used at "
                    f"{stamp(old.last_used)}"
                    f"{f' ({where})' if where else ''} after its replacement was issued. "
                    f"Gatehouse deactivates it at {stamp(until)} unless they postpone.")

    def finish(self, rotation: Rotation, actor: str, now: datetime) -> None:
        """Delete the inactive old key; the new key is then the holder's only key."""
        if rotation.old_key_id:
            self.keys_in(rotation.account).delete_key(rotation.iam_user, rotation.old_key_id)
        self.complete(rotation, actor, now, None)

    def complete(self, rotation: Rotation, actor: str, now: datetime, note: str | None) -> None:
        deleted = rotation.state is RotationState.DEACTIVATED
        with self.uow.transaction():
            moved = self.rotations.move(rotation.id, RotationState.COMPLETED, actor=actor,
                                        now=now, note=note,
                                        details={"note": note} if note else None)
            if moved is None:
                return
            for kind in (JobKind.KEY_DELETE, JobKind.KEY_RECOVER):
                self.jobs.cancel(kind, job_key(rotation.id), now)
            if deleted:
                self.rotations.record(moved, "key.rotated", actor, now)
        if rotation.old_key_id and note != KEPT:
            quietly(self.notices.dm, rotation.holder,
                    f"Key rotation complete: the old key `{rotation.old_key_id}` is "
                    f"deleted and `{rotation.new_key_id}` is your only access key.")
        self.settle(moved)
        self.notices.home_changed({rotation.holder})

    # --- failures ------------------------------------------------------------------------

    def _reporting(self, rotation: Rotation, step: str, now: datetime,
                   work: Callable[[], T]) -> T:
        """Run a scheduled AWS step; on its first refusal tell the holder and the admins.

        The exception goes on to the sweeper, which retries with a growing delay.
        """
        try:
            return work()
        except CloudError as refusal:
            if rotation.refused_step != step:
                self.rotations.update(rotation.id, refused_step=step)
                self.report_refusal(rotation, step, refusal, SYSTEM, now)
                self._tell_refusal(rotation, step, refusal)
            raise

    def report_refusal(self, rotation: Rotation, step: str, refusal: CloudError, actor: str,
                       now: datetime) -> None:
        self.rotations.record(rotation, "key.failed", actor, now,
                              {"step": step, "error": refusal.message, "code": refusal.code})

    def _tell_refusal(self, rotation: Rotation, step: str, refusal: CloudError) -> None:
        key = rotation.old_key_id
        text = (f"Gatehouse could not {step} the old access key `{key}` of IAM user "
                f"`{rotation.iam_user}`{self.keys_in.where(rotation.account)}: "
                f"{refusal.message}. It keeps trying, less often each "
                "time; until then that key stays as it is.")
        for user in {rotation.holder, *self.settings.admins}:
            quietly(self.notices.dm, user, text)
