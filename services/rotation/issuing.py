"""Issuing a key, step by step: check, store, CreateAccessKey, deliver the secret by DM."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from domain.durations import format_duration
from domain.errors import CloudError, UserError
from domain.iam import AccessKey, IamUser, NewAccessKey
from domain.jobs import JobKind, RotationJob
from domain.requests import Status
from domain.rotation import (
    SECRET_LIFETIME,
    KeySlotsFull,
    Rotation,
    RotationPlan,
    RotationState,
    find_key,
    plan_rotation,
    stamp,
)
from services.rotation.mapping import KeyMappingGuard
from services.rotation.ports import (
    ApprovalRequests,
    IamKeys,
    IamKeysByAccount,
    JobQueue,
    KeyMessages,
    Notices,
    RotationSettings,
    RotationStore,
    UnitOfWork,
)
from services.rotation.recovery import KeyRecovery
from services.rotation.retiring import KeyRetirer
from services.rotation.shared import SYSTEM, KeysIn, deactivation_key, job_key, log, refused

RECOVERY_DEADLINE = timedelta(minutes=5)
UNDELIVERABLE = ("Slack did not take the direct message with your new key, so the key was "
                 "deleted before anyone could see it; your current key is unchanged.")
NO_DM = ("Slack did not take the direct message that was to hold your new key, so no key was "
         "created; your current key is unchanged.")


class KeyIssuer:
    """Each step moves the stored rotation first, so a crash anywhere leaves a clear state.

    The secret exists only in memory, between CreateAccessKey and the DM.
    """

    def __init__(self, rotations: RotationStore, iam: IamKeys, messages: KeyMessages,
                 notices: Notices, requests: ApprovalRequests, jobs: JobQueue, uow: UnitOfWork,
                 settings: RotationSettings, recovery: KeyRecovery,
                 retirer: KeyRetirer, guard: KeyMappingGuard,
                 by_account: IamKeysByAccount | None = None) -> None:
        self.rotations = rotations
        self.iam = iam
        self.keys_in = KeysIn(iam, by_account)  # `account` below: an id, None for Gatehouse's own
        self.messages = messages
        self.notices = notices
        self.requests = requests
        self.jobs = jobs
        self.uow = uow
        self.settings = settings
        self.recovery = recovery
        self.retirer = retirer
        self.guard = guard

    # --- who is who -----------------------------------------------------------------------

    def iam_user_of(self, holder: str, now: datetime, account: str | None = None) -> IamUser:
        where = self.keys_in.where(account)
        try:
            user = self.keys_in(account).find_user(holder, now)
        except CloudError as exc:
            raise UserError(f"Gatehouse could not read the IAM users{where}: {exc.message}") \
                from None
        if user is None:
            tag = self.settings.iam_user_tag
            raise UserError(
                f"<@{holder}> is not linked to an IAM user{where}, so Gatehouse cannot rotate a "
                "key. "
                f"An admin must tag the IAM user with `{tag}` = `{holder}` (IAM console → "
                "Users → the user → Tags; only one user may carry it), then run "
                "`/access rotate-key` again.")
        return user

    def keys_of(self, holder: str, now: datetime,
                account: str | None = None) -> tuple[str, list[AccessKey]]:
        """(IAM user name, its keys); a user renamed or deleted since the look-up is re-read."""
        user, keys = self.user_and_keys(holder, now, account)
        return user.name, keys

    def user_and_keys(self, holder: str, now: datetime,
                      account: str | None = None) -> tuple[IamUser, list[AccessKey]]:
        user = self.iam_user_of(holder, now, account)
        try:
            return user, self.keys_in(account).list_keys(user.name)
        except CloudError as exc:
            if exc.code != "NoSuchEntity":
                raise UserError(f"Gatehouse could not read the access keys: {exc.message}") \
                    from None
        self.keys_in(account).forget()
        user = self.iam_user_of(holder, now, account)
        try:
            return user, self.keys_in(account).list_keys(user.name)
        except CloudError as exc:
            raise UserError(f"Gatehouse could not read the access keys: {exc.message}") from None

    def trusted_keys_of(self, holder: str, actor: str, now: datetime,
                        account: str | None = None) -> tuple[str, list[AccessKey]]:
        """As keys_of, for a change: the IAM user must be the recorded one, and no admin."""
        user, keys = self.user_and_keys(holder, now, account)
        self.guard.check(holder, user, actor, now, account)
        return user.name, keys

    def prepare(self, holder: str, now: datetime, actor: str | None = None,
                account: str | None = None) -> tuple[str, RotationPlan]:
        """Check that a rotation can start now; raise UserError (or KeySlotsFull) if not."""
        iam_user, keys = self.trusted_keys_of(holder, actor or holder, now, account)
        if not keys and not self.settings.allow_first_key:
            raise UserError(_first_key_refusal(iam_user))
        current = self.rotations.open_for(iam_user, account)
        if current is not None and current.state is RotationState.DEACTIVATED \
                and find_key(keys, current.old_key_id) is None:
            self.retirer.complete(current, SYSTEM, now, "the old key had already been deleted")
            current = None
        if current is not None and current.state is not RotationState.DEACTIVATED:
            raise UserError(_busy_message(current))
        try:
            return iam_user, plan_rotation(keys, iam_user, now)
        except KeySlotsFull as full:
            if account is None:
                raise
            raise KeySlotsFull(str(full), full.keys, account) from None

    # --- the steps ------------------------------------------------------------------------

    def rotate(self, holder: str, requested_by: str, now: datetime,
               request_id: int | None = None, account: str | None = None) -> Rotation:
        iam_user, plan = self.prepare(holder, now, requested_by, account)
        rotation = self.begin(holder, requested_by, iam_user, plan, now, request_id, account)
        self.recovery.holding(rotation.id, True)
        try:
            rotation = self.announce(rotation, now)
            created, new_key = self.create(rotation, now)
            return self.deliver(created, new_key.secret_access_key, now)
        finally:
            self.recovery.holding(rotation.id, False)

    def begin(self, holder: str, requested_by: str, iam_user: str, plan: RotationPlan,
              now: datetime, request_id: int | None = None,
              account: str | None = None) -> Rotation:
        """Store the rotation before any key exists, with the job that cleans up after a crash."""
        with self.uow.transaction():
            rotation = self.rotations.insert(holder=holder, requested_by=requested_by,
                                             iam_user=iam_user, plan=plan,
                                             owner=self.recovery.owner, now=now,
                                             request_id=request_id, account=account)
            if request_id is not None:
                self.requests.move(request_id, Status.ACTIVE, actor=SYSTEM, now=now,
                                   expect=[Status.APPROVED], details={"rotation": rotation.id})
                self.jobs.cancel(JobKind.ACTIVATE, f"request:{request_id}", now)
            self.jobs.schedule(JobKind.KEY_RECOVER, now + RECOVERY_DEADLINE,
                               key=job_key(rotation.id), payload=RotationJob(rotation.id))
        return rotation

    def announce(self, rotation: Rotation, now: datetime) -> Rotation:
        """Post the key DM before the key exists, so that a secret put into it later can
        always be taken out again: a crash leaves a DM Gatehouse knows about."""
        try:
            channel, ts = self.messages.announce_key(rotation)
        except Exception as exc:  # no DM, no key
            log.warning("key DM not posted", extra={"rotation": rotation.id,
                                                    "error": type(exc).__name__})
            self.recovery.fail(rotation, NO_DM, now)
            raise UserError(f"{NO_DM} Try `/access rotate-key` again in a minute.") from None
        self.rotations.update(rotation.id, dm_channel=channel, dm_ts=ts)
        return replace(rotation, dm_channel=channel, dm_ts=ts)

    def create(self, rotation: Rotation, now: datetime) -> tuple[Rotation, NewAccessKey]:
        """CreateAccessKey, then record the new key's id (never its secret)."""
        try:
            new_key = self.keys_in(rotation.account).create_key(rotation.iam_user)
        except CloudError as exc:
            self.recovery.fail(rotation, f"AWS refused to create the key: {exc.message}", now)
            raise refused("create the new access key", exc) from None
        created = self.rotations.move(rotation.id, RotationState.CREATED, actor=SYSTEM, now=now,
                                      expect=[RotationState.CREATING],
                                      new_key_id=new_key.key_id,
                                      new_key_created=new_key.created)
        if created is None:  # recovered meanwhile by another Gatehouse: this key is an orphan
            self.keys_in(rotation.account).delete_key(rotation.iam_user, new_key.key_id)
            raise UserError("The rotation was stopped while the key was being created; "
                            "nothing changed. Run `/access rotate-key` again.")
        return created, new_key

    def deliver(self, rotation: Rotation, secret: str, now: datetime) -> Rotation:
        """DM the secret to the holder; if that fails, the new key is deleted at once."""
        grace = timedelta(seconds=self.settings.grace_period)
        rotation = replace(rotation, deactivate_at=now + grace if rotation.old_key_id else None)
        channel, ts = rotation.dm_channel, rotation.dm_ts
        try:
            self.messages.deliver_key(rotation, secret, now)
        except Exception as exc:  # whatever stops delivery, the key must not outlive it
            log.warning("new key not delivered", extra={"rotation": rotation.id,
                                                        "error": type(exc).__name__})
            self.recovery.withdraw(rotation, now, UNDELIVERABLE)
            raise UserError(f"{UNDELIVERABLE} Try `/access rotate-key` again in a minute.") \
                from None
        delivered = self._mark_delivered(rotation, channel, ts, now)
        if delivered is None:  # withdrawn meanwhile: take the secret back out of Slack
            self.messages.conceal_key(replace(rotation, dm_channel=channel, dm_ts=ts),
                                      "withdrawn")
            raise UserError("The rotation was stopped while the key was being sent, so that "
                            "key was deleted. Run `/access rotate-key` again.")
        if delivered.old_key_id is None:
            self.retirer.complete(delivered, SYSTEM, now, "there was no old key to retire")
        self.notices.home_changed({rotation.holder})
        return self.rotations.get(rotation.id)

    def _mark_delivered(self, rotation: Rotation, channel: str, ts: str,
                        now: datetime) -> Rotation | None:
        deactivate_at = rotation.deactivate_at
        with self.uow.transaction():
            moved = self.rotations.move(rotation.id, RotationState.DELIVERED, actor=SYSTEM,
                                        now=now, expect=[RotationState.CREATED],
                                        dm_channel=channel, dm_ts=ts, secret_shown=True,
                                        deactivate_at=deactivate_at)
            if moved is None:
                return None
            key, payload = job_key(rotation.id), RotationJob(rotation.id)
            self.jobs.cancel(JobKind.KEY_RECOVER, key, now)
            self.jobs.schedule(JobKind.KEY_CONCEAL, now + SECRET_LIFETIME, key=key, payload=payload)
            if deactivate_at:
                self.jobs.schedule(JobKind.KEY_DEACTIVATE, deactivate_at,
                                   key=deactivation_key(rotation.id, deactivate_at),
                                   payload=payload)
            self.recovery.close_request(moved, Status.EXPIRED, "the new key was delivered", now)
        return moved

    def confirmation(self, rotation: Rotation) -> str:
        """The requester's answer: key ids only; the secret is in the holder's DM alone."""
        after = format_duration(self.settings.delete_after)
        where = self.keys_in.where(rotation.account)
        if rotation.for_someone_else:
            head = (f"Rotated <@{rotation.holder}>'s access key{where}: the new key "
                    f"`{rotation.new_key_id}` was sent to them in a DM.")
        else:
            head = (f"Your new access key `{rotation.new_key_id}`{where} and its secret are in "
                    "your DMs with Gatehouse.")
        if rotation.old_key_id is None:
            return f"{head} There was no old key, so there is nothing to retire."
        return (f"{head} The old key `{rotation.old_key_id}` keeps working until "
                f"{stamp(rotation.deactivate_at)}, then it is deactivated, and deleted {after} "
                "later.")


def _first_key_refusal(iam_user: str) -> str:
    return (f"IAM user `{iam_user}` has no access key, so there is nothing to rotate. Creating "
            "a first long-lived key is a different act from rotating one, and this Gatehouse "
            "does not do it (`keys.allow_first_key` is off): use `/access request` for "
            "temporary access, or ask an admin to create the key in the IAM console.")


def _busy_message(rotation: Rotation) -> str:
    if rotation.state is RotationState.DELIVERED:
        return (f"The last rotation of this key is still in its grace period: the old key "
                f"`{rotation.old_key_id}` is deactivated at {stamp(rotation.deactivate_at)}. "
                "Use *Deactivate old key now* in the DM with the new key to end it sooner, then "
                "run `/access rotate-key` again.")
    return ("A rotation of this key is being delivered right now; wait a minute and look at "
            "your DMs with Gatehouse.")
