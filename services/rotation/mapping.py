"""Whose key Gatehouse may make: the recorded IAM user, changed only by an admin; no admins."""

from __future__ import annotations

from datetime import datetime

from domain.errors import UserError
from domain.iam import IamUser
from domain.rotation import MappingChange, MappingStatus, stamp
from services.rotation.ports import KeyMessages, MappingStore, Notices, RotationSettings
from services.rotation.shared import log, quietly


class KeyMappingGuard:
    """A tag names the IAM user; the database says whether that is the one already trusted.

    The first IAM user seen for a Slack user is recorded. When the tag later sits on another
    IAM user (or on one recorded for someone else), nothing is created until an admin approves
    the change in Slack.
    """

    def __init__(self, mappings: MappingStore, messages: KeyMessages, notices: Notices,
                 settings: RotationSettings) -> None:
        self.mappings = mappings
        self.messages = messages
        self.notices = notices
        self.settings = settings

    def check(self, holder: str, user: IamUser, actor: str, now: datetime,
              account: str | None = None) -> None:
        """Raise UserError unless Gatehouse may make a key for `user` on behalf of `holder`;
        `account` is the id of the account `user` is in (None: Gatehouse's own)."""
        self._trusted(holder, user, actor, now, account)
        self._not_protected(user)

    # --- the mapping ----------------------------------------------------------------------

    def _trusted(self, holder: str, user: IamUser, actor: str, now: datetime,
                 account: str | None) -> None:
        mapping = self.mappings.get(holder, account)
        if mapping is not None and mapping.is_user(user):
            return
        other = self.mappings.holder_of(user.name, account)
        if mapping is None and other in (None, holder):
            mapping = self.mappings.record(holder, user, actor, now, account)
            if mapping.is_user(user):
                return
        self._refuse_change(holder, mapping.iam_user if mapping else None, user, other,
                            actor, now, account)

    def _refuse_change(self, holder: str, old: str | None, user: IamUser, other: str | None,
                       actor: str, now: datetime, account: str | None) -> None:
        was = (f"your keys belong to IAM user `{old}`, but the `{self.settings.iam_user_tag}` "
               f"tag now names IAM user `{user.name}`" if old else
               f"IAM user `{user.name}` is recorded as <@{other}>'s, but its "
               f"`{self.settings.iam_user_tag}` tag now names you")
        if account:
            was = f"in account {account}, {was}"
        decided = self.mappings.last_decided(holder, user, account)
        if decided is not None and decided.status is MappingStatus.DENIED:
            raise UserError(f"Gatehouse made no key: {was}, and <@{decided.decided_by}> refused "
                            f"that change on {stamp(decided.decided_at)}. Put the tag back, or "
                            "ask a Gatehouse admin.")
        change = self.mappings.pending(holder, account) or self._ask(holder, old, user, actor,
                                                                     now, account)
        raise UserError(
            f"Gatehouse made no key: {was}. A tag alone never moves whose key Gatehouse makes, "
            f"so the change waits for a Gatehouse admin's approval (asked on "
            f"{stamp(change.requested_at)} in <#{self.settings.approvals_channel}>). Once it "
            "is approved you get a DM; then run `/access rotate-key` again.")

    def _ask(self, holder: str, old: str | None, user: IamUser, actor: str, now: datetime,
             account: str | None) -> MappingChange:
        change = self.mappings.request_change(holder, old, user, actor, now, account)
        if change is None:  # filed meanwhile by a second command
            return self.mappings.pending(holder, account)
        log.warning("IAM user mapping changed; waiting for an admin",
                    extra={"slack_user": holder, "old": old, "new": user.name})
        try:
            channel, ts = self.messages.ask_mapping_approval(change, user.admin_via,
                                                             self.settings.admins)
        except Exception as exc:  # the admins are told by DM instead
            log.warning("could not post a mapping approval", extra={"error": type(exc).__name__})
            for admin in self.settings.admins:
                quietly(self.notices.dm, admin, _dm_text(change))
            return change
        self.mappings.set_message(change.id, channel, ts)
        return self.mappings.change(change.id)

    def decide(self, change_id: int, approved: bool, admin: str, now: datetime) -> str:
        """An admin's Approve or Deny on a mapping change."""
        if not self.settings.is_admin(admin):
            raise UserError("Only Gatehouse admins can decide whose key a Slack user rotates.")
        change = self.mappings.change(change_id)
        if change is None:
            raise UserError("That button is out of date; nothing was changed.")
        decided = self.mappings.decide(change_id, approved, admin, now)
        if decided is None:
            raise UserError(f"That change was already {change.status.value}; nothing was "
                            "changed.")
        quietly(self.messages.show_mapping_decision, decided)
        quietly(self.notices.dm, decided.slack_user, _holder_text(decided))
        return (f"{'Approved' if approved else 'Denied'}: <@{decided.slack_user}>'s keys "
                f"{'now' if approved else 'still do not'} belong to IAM user "
                f"`{decided.new_iam_user}`.")

    # --- administrators -------------------------------------------------------------------

    def _not_protected(self, user: IamUser) -> None:
        if self.settings.allow_admin_keys:
            return
        if user.name in self.settings.protected_users:
            why = "it is listed in `keys.protected_users`"
        elif user.admin_via:
            why = f"its policies make it an administrator ({'; '.join(user.admin_via)})"
        else:
            return
        raise UserError(
            f"Gatehouse makes no access key for IAM user `{user.name}`: {why}. Long-lived keys "
            "of administrators are exactly what an attacker wants, so this needs "
            "`keys.allow_admin_keys: true` in the config; otherwise rotate it in the IAM "
            "console.")


def _dm_text(change: MappingChange) -> str:
    return (f"<@{change.slack_user}>'s `/access rotate-key` now points at IAM user "
            f"`{change.new_iam_user}` (recorded: `{change.old_iam_user or 'someone else'}`). "
            "Gatehouse could not post the approval message; no key is made until the tag is "
            "back where it was.")


def _holder_text(change: MappingChange) -> str:
    if change.status is MappingStatus.APPROVED:
        return (f"<@{change.decided_by}> approved: your access keys now belong to IAM user "
                f"`{change.new_iam_user}`. Run `/access rotate-key` again.")
    return (f"<@{change.decided_by}> refused to move your access keys to IAM user "
            f"`{change.new_iam_user}`; Gatehouse makes no key for it. Put the tag back on "
            f"`{change.old_iam_user}`, or ask a Gatehouse admin." if change.old_iam_user else
            f"<@{change.decided_by}> refused to let you rotate the keys of IAM user "
            f"`{change.new_iam_user}`; ask a Gatehouse admin.")
