"""What people start: rotate (directly or after approval), the key DM's buttons, reading keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.accounts import Account
from domain.errors import AlreadyRequested, CloudError, UserError
from domain.iam import AccessKey
from domain.jobs import JobKind, RotationJob
from domain.requests import AccessRequest, Status
from domain.rotation import (
    AUDIT_ROLE,
    Rotation,
    RotationState,
    find_key,
    postponed_until,
    stamp,
)
from services.rotation.accounts import AccountSearch, label
from services.rotation.issuing import KeyIssuer
from services.rotation.ports import (
    ApprovalRequests,
    AuditTrail,
    IamKeys,
    IamKeysByAccount,
    JobQueue,
    Notices,
    RequestAnnouncer,
    RequestFiler,
    RotationSettings,
    RotationStore,
    UnitOfWork,
)
from services.rotation.retiring import KEPT, KeyRetirer
from services.rotation.shared import SYSTEM, KeysIn, deactivation_key, refused

READ_REFRESH = timedelta(minutes=1)  # lists and App Home re-read IAM users at most this often


@dataclass(frozen=True)
class KeyOverview:
    """A holder's IAM user, its keys, and the rotation under way, for lists and App Home."""

    iam_user: str
    keys: list[AccessKey]
    rotation: Rotation | None
    first_key_allowed: bool = False  # may `rotate-key` create a key when there is none?
    account: str | None = None  # the account's name, when Gatehouse manages several


class RotationCommands:
    def __init__(self, settings: RotationSettings, rotations: RotationStore, iam: IamKeys,
                 issuer: KeyIssuer, retirer: KeyRetirer, filer: RequestFiler,
                 announcer: RequestAnnouncer, requests: ApprovalRequests, notices: Notices,
                 jobs: JobQueue, uow: UnitOfWork, audit: AuditTrail,
                 by_account: IamKeysByAccount | None = None) -> None:
        self.settings = settings
        self.keys_in = KeysIn(iam, by_account)
        # With several accounts the holder's IAM user is looked up in each of them.
        self.search = AccountSearch(by_account, settings.iam_user_tag) if by_account else None
        self.rotations = rotations
        self.iam = iam
        self.issuer = issuer
        self.retirer = retirer
        self.guard = issuer.guard
        self.filer = filer
        self.announcer = announcer
        self.requests = requests
        self.notices = notices
        self.jobs = jobs
        self.uow = uow
        self.audit = audit

    # --- the command ----------------------------------------------------------------------

    def request(self, requested_by: str, holder: str, now: datetime,
                account: str | None = None) -> str:
        """`/access rotate-key [@user] [account]`: rotate now, or file it for approval.

        `account` is the name (or id) typed; with several accounts and none typed, the one
        where the holder has an IAM user (ChooseAccount when there are several).
        """
        if holder != requested_by and not self.settings.is_admin(requested_by):
            raise UserError("Only Gatehouse admins can rotate someone else's key. "
                            "Write `/access rotate-key` to rotate your own.")
        account_id, note = self._account(holder, account, now, requested_by)
        if self.settings.requires_approval:
            iam_user, _ = self.issuer.prepare(holder, now, requested_by, account_id)
            return self._file(requested_by, holder, iam_user, now, account_id) + note
        rotation = self.issuer.rotate(holder, requested_by, now, account=account_id)
        return self.issuer.confirmation(rotation) + note

    def _account(self, holder: str, named: str | None, now: datetime,
                 requested_by: str) -> tuple[str | None, str]:
        """(account id or None for Gatehouse's own, a note on accounts not searched)."""
        if self.search is None:
            if named is not None:
                raise UserError(f"`{named}` is not a Slack mention, and this Gatehouse manages "
                                "keys in one AWS account, so there is no account to name. Write "
                                "`/access rotate-key` for your own key, or name the person as "
                                "a Slack mention picked from the list: "
                                "`/access rotate-key @dana`.")
            return None, ""
        command = "/access rotate-key" + ("" if holder == requested_by else f" <@{holder}>")
        account, note = self.search.choose(holder, named, now, command)
        return account.id, note

    def _file(self, requested_by: str, holder: str, iam_user: str, now: datetime,
              account: str | None = None) -> str:
        user = f"IAM user `{iam_user}`{self.keys_in.where(account)}"
        try:
            request = self.filer.file(requested_by=requested_by, holder=holder, now=now,
                                      reason=f"Rotate the access key of {user.replace('`', '')}",
                                      account=account)
        except AlreadyRequested as exc:
            raise UserError(f"{exc.label} already asks to rotate this key; wait for "
                            "an admin's decision.") from None
        self.announcer.schedule_pending_jobs(request, now)
        self.announcer.announce(request.id, now)
        return (f"{request.label} filed: rotating the access key of {user} waits "
                f"for an admin's approval in <#{self.settings.approvals_channel}>.")

    def activate(self, request: AccessRequest, now: datetime) -> None:
        """An admin approved a rotation request: rotate now, or close the request as failed."""
        if self.rotations.of_request(request.id) is not None:
            self.jobs.cancel(JobKind.ACTIVATE, f"request:{request.id}", now)
            return
        holder = request.target_user or request.requester
        try:
            rotation = self.issuer.rotate(holder, request.requester, now,
                                          request_id=request.id,
                                          account=account_of_request(request))
        except UserError as refusal:
            self._fail_request(request, str(refusal), now)
            return
        self.notices.thread(request, f"Rotated: new key `{rotation.new_key_id}` was sent to "
                                     f"<@{holder}> in a DM.")
        self.notices.refresh_request(self.requests.get(request.id) or request,
                                     self.requests.approvers_of(request.id))
        if rotation.for_someone_else:
            answer = self.issuer.confirmation(rotation)
            self.notices.dm(request.requester, f"{request.label}: {answer}")

    def _fail_request(self, request: AccessRequest, why: str, now: datetime) -> None:
        with self.uow.transaction():
            moved = self.requests.move(request.id, Status.FAILED, actor=SYSTEM, now=now,
                                       expect=[Status.APPROVED], note=why[:500],
                                       details={"why": why})
            self.jobs.cancel(JobKind.ACTIVATE, f"request:{request.id}", now)
        if moved is None:
            return  # the rotation itself closed the request and said why
        self.notices.thread(moved, f"{moved.label} failed: {why}")
        self.notices.refresh_request(moved, self.requests.approvers_of(moved.id))
        self.notices.dm(moved.requester, f"{moved.label} (key rotation) failed: {why}")

    # --- buttons --------------------------------------------------------------------------

    def stored(self, rotation_id: int, user: str, now: datetime) -> str:
        rotation = self._rotation(rotation_id)
        if user != rotation.holder:
            raise UserError("Only the key's holder can do that.")
        if not rotation.secret_shown:
            return "The secret was already removed from that message."
        self.retirer.conceal(rotation, user, now, "stored by its holder")
        return "The secret was removed from the message. Keep it only where you stored it."

    def deactivate_now(self, rotation_id: int, user: str, now: datetime) -> str:
        rotation = self._owned(rotation_id, user)
        if rotation.state is not RotationState.DELIVERED:
            raise UserError(f"The old key `{rotation.old_key_id}` is no longer active under this "
                            f"rotation ({rotation.state.value}); there is nothing to deactivate.")
        try:
            self.retirer.retire(rotation, user, now, check_use=False)
        except CloudError as exc:
            self.retirer.report_refusal(rotation, "deactivate", exc, user, now)
            raise refused(f"deactivate `{rotation.old_key_id}`", exc) from None
        return f"The old key `{rotation.old_key_id}` is now inactive."

    def postpone(self, rotation_id: int, user: str, now: datetime) -> str:
        rotation = self._owned(rotation_id, user)
        if rotation.state is not RotationState.DELIVERED or rotation.deactivate_at is None:
            raise UserError(f"The old key `{rotation.old_key_id}` is no longer waiting to be "
                            "deactivated, so there is nothing to postpone.")
        until = postponed_until(rotation, now)
        with self.uow.transaction():
            self.jobs.cancel(JobKind.KEY_DEACTIVATE,
                             deactivation_key(rotation.id, rotation.deactivate_at), now)
            self.rotations.update(rotation.id, deactivate_at=until,
                                  postponements=rotation.postponements + 1)
            self.jobs.schedule(JobKind.KEY_DEACTIVATE, until,
                               key=deactivation_key(rotation.id, until),
                               payload=RotationJob(rotation.id))
            self.rotations.record(rotation, "key.deactivation_postponed", user, now,
                                  {"deactivate_at": stamp(until)})
        return (f"Postponed: the old key `{rotation.old_key_id}` is deactivated at "
                f"{stamp(until)}. Move whatever still uses it to the new key before then.")

    def delete_old(self, rotation_id: int, user: str, now: datetime) -> str:
        """The old key was made active again by hand; its holder or an admin says delete."""
        rotation = self._revived(rotation_id, user)
        try:
            self.retirer.finish(rotation, user, now)
        except CloudError as exc:
            raise refused(f"delete `{rotation.old_key_id}`", exc) from None
        return f"The old key `{rotation.old_key_id}` is deleted."

    def keep_old(self, rotation_id: int, user: str, now: datetime) -> str:
        """...or says keep it: the rotation ends and Gatehouse leaves both keys alone."""
        rotation = self._revived(rotation_id, user)
        self.rotations.record(rotation, "key.old_key_kept", user, now)
        self.retirer.complete(rotation, user, now, KEPT)
        return (f"Kept: Gatehouse leaves `{rotation.old_key_id}` alone; IAM user "
                f"`{rotation.iam_user}` keeps two keys.")

    def _revived(self, rotation_id: int, user: str) -> Rotation:
        rotation = self._owned(rotation_id, user)
        if rotation.state is not RotationState.DEACTIVATED or rotation.reactivated_at is None:
            raise UserError(f"The old key `{rotation.old_key_id}` is no longer waiting for that "
                            f"decision ({rotation.state.value}); nothing was changed.")
        return rotation

    def decide_mapping(self, change_id: int, approved: bool, admin: str, now: datetime) -> str:
        return self.guard.decide(change_id, approved, admin, now)

    def delete_inactive(self, holder: str, key_id: str, user: str, now: datetime,
                        account: str | None = None) -> str:
        """Delete an inactive key that fills the second slot, then rotate as asked
        (`account`: the id of the account the key is in; None for Gatehouse's own)."""
        if user != holder and not self.settings.is_admin(user):
            raise UserError("Only the key's holder or a Gatehouse admin can do that.")
        if account is not None and self.search is None:
            raise UserError("That button is out of date; run `/access rotate-key` again.")
        iam_user, keys = self.issuer.trusted_keys_of(holder, user, now, account)
        key = find_key(keys, key_id)
        if key is None or key.is_active:
            state = "is gone already" if key is None else "is active again"
            raise UserError(f"The key `{key_id}` {state}, so Gatehouse did not delete it. "
                            "Run `/access rotate-key` again to see where things stand.")
        self._delete_inactive_key(holder, iam_user, key_id, user, now, account)
        return self.request(user, holder, now, account)

    def _delete_inactive_key(self, holder: str, iam_user: str, key_id: str, user: str,
                             now: datetime, account: str | None) -> None:
        current = self.rotations.open_for(iam_user, account)
        try:
            if current is not None and current.old_key_id == key_id \
                    and current.state is RotationState.DEACTIVATED:
                self.retirer.finish(current, user, now)
                return
            self.keys_in(account).delete_key(iam_user, key_id)
        except CloudError as exc:
            raise refused(f"delete `{key_id}`", exc) from None
        where = {"account": account} if account else {}
        self.audit.append(at=now, actor=user, action="key.deleted", role=AUDIT_ROLE,
                          subject=holder, details={"iam_user": iam_user, "key_id": key_id,
                                                   "why": "inactive, to make room", **where})

    def _rotation(self, rotation_id: int) -> Rotation:
        rotation = self.rotations.get(rotation_id)
        if rotation is None:
            raise UserError("That button is out of date; `/access list` shows your keys.")
        return rotation

    def _owned(self, rotation_id: int, user: str) -> Rotation:
        rotation = self._rotation(rotation_id)
        if user not in (rotation.holder, rotation.requested_by) \
                and not self.settings.is_admin(user):
            raise UserError("Only the key's holder or a Gatehouse admin can do that.")
        return rotation

    # --- reading --------------------------------------------------------------------------

    def overviews(self, holder: str, now: datetime) -> list[KeyOverview]:
        """The holder's keys in each account where they have an IAM user."""
        if self.search is None:
            found = self.overview(holder, now)
            return [found] if found else []
        search = self.search.search(holder, now)
        if search.unreachable and not search.found:
            raise UserError(search.unreachable_note().strip())
        return [self._overview_in(account, holder, now) for account, _ in search.found]

    def _overview_in(self, account: Account, holder: str, now: datetime) -> KeyOverview:
        user, keys = self.issuer.user_and_keys(holder, now, account.id)
        return KeyOverview(user.name, keys, self.rotations.open_for(user.name, account.id),
                           self.settings.allow_first_key, label(account))

    def overview(self, holder: str, now: datetime) -> KeyOverview | None:
        """The holder's keys, or None when they are not linked to an IAM user (with several
        accounts: the first account where they are)."""
        if self.search is not None:
            return next(iter(self.overviews(holder, now)), None)
        try:
            user = self.iam.find_user(holder, now, refresh_after=READ_REFRESH)
        except CloudError as exc:
            raise UserError(f"Gatehouse could not read the IAM users: {exc.message}") from None
        if user is None:
            return None
        _, keys = self.issuer.keys_of(holder, now)
        return KeyOverview(user.name, keys, self.rotations.open_for(user.name),
                           self.settings.allow_first_key)


def account_of_request(request: AccessRequest) -> str | None:
    """The account id a key request was filed for (its role reads `access-key@<id>`)."""
    _, _, account = request.role.partition("@")
    return account or None
