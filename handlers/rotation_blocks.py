"""Block Kit for key rotation: the key DM, its secret-free version, warnings, lists, App Home."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.durations import format_duration
from domain.iam import AccessKey
from domain.rotation import (
    MappingChange,
    MappingStatus,
    Rotation,
    RotationState,
    describe_key,
    stamp,
)
from domain.text import escape
from handlers.blocks import Block, actions, button, confirm_dialog, context, section

HEADER = "Your new AWS access key"
ANNOUNCE_TEXT = "Your new AWS access key is being created…"


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def delivery_text(rotation: Rotation) -> str:
    """The notification text of the key DM: the key id, never the secret."""
    if rotation.new_key_id is None:
        return f"Your access-key rotation (IAM user {rotation.iam_user}) stopped"
    return f"Your new AWS access key {rotation.new_key_id} (IAM user {rotation.iam_user})"


def _who_and_where(rotation: Rotation, where: str = "") -> str:
    by = f"<@{rotation.requested_by}> rotated your access key. " \
        if rotation.for_someone_else else ""
    return (f"{by}IAM user `{escape(rotation.iam_user)}`{where}, new key "
            f"`{rotation.new_key_id}`.")


def _old_key_plan(rotation: Rotation, delete_after: int) -> str:
    if rotation.old_key_id is None:
        return "You had no access key before, so there is nothing to retire."
    if rotation.state is RotationState.DEACTIVATED:
        return (f"The old key `{rotation.old_key_id}` is inactive and is deleted at "
                f"{stamp(rotation.delete_at)}.")
    if rotation.state is RotationState.COMPLETED:
        return f"The old key `{rotation.old_key_id}` is deleted."
    return (f"The old key `{rotation.old_key_id}` keeps working until "
            f"{stamp(rotation.deactivate_at)}, then it is deactivated, and deleted "
            f"{format_duration(delete_after)} later.")


def _deactivate_button(rotation: Rotation, text: str = "Deactivate old key now") -> Block:
    return button(text, "key_deactivate_now", str(rotation.id), "danger", confirm_dialog(
        "Deactivate the old key?",
        f"`{rotation.old_key_id}` stops working at once; whatever still uses it fails.",
        "Deactivate"))


def key_delivery(rotation: Rotation, secret: str, delete_after: int,
                 where: str = "") -> list[Block]:
    """The only message that ever holds the secret; `key_concealed` replaces it.

    `where`: ' in account `prod` (111111111111)' when Gatehouse manages several accounts.
    """
    credentials = (f"[default]\naws_access_key_id = {rotation.new_key_id}\n"
                   f"aws_secret_access_key = {secret}")
    buttons = [button("I have stored it", "key_stored", str(rotation.id), "primary")]
    if rotation.old_key_id:
        buttons.append(_deactivate_button(rotation))
    return [
        _header(HEADER),
        section(f"{_who_and_where(rotation, where)} The secret is shown only here, once: store it "
                "now (for example in `~/.aws/credentials`). This message loses it when you "
                "click *I have stored it*, or in an hour."),
        section(f"```{credentials}```"),
        context(_old_key_plan(rotation, delete_after)),
        actions(*buttons, block_id=f"key-{rotation.id}"),
    ]


def key_announced(rotation: Rotation, where: str = "") -> list[Block]:
    """The key DM before the key exists; the secret is put into this very message."""
    by = f"<@{rotation.requested_by}> is rotating your access key. " \
        if rotation.for_someone_else else ""
    return [_header(HEADER), section(
        f"{by}Gatehouse is creating a new access key for IAM user "
        f"`{escape(rotation.iam_user)}`{where}; it appears in this message in a moment.")]


def key_concealed(rotation: Rotation, why: str | None, delete_after: int,
                  where: str = "") -> list[Block]:
    """The key DM once the secret is gone from it, showing where the rotation stands."""
    if rotation.state in (RotationState.FAILED, RotationState.CREATING, RotationState.CREATED):
        return [_header(HEADER), section(_withdrawn(rotation))]
    because = f" ({escape(why)})" if why else ""
    blocks = [
        _header(HEADER),
        section(f"{_who_and_where(rotation, where)} The secret was removed from this message"
                f"{because}."),
        context(_old_key_plan(rotation, delete_after)),
    ]
    if rotation.state is RotationState.DELIVERED and rotation.old_key_id:
        blocks.append(actions(_deactivate_button(rotation), block_id=f"key-{rotation.id}"))
    return blocks


def _withdrawn(rotation: Rotation) -> str:
    if rotation.new_key_id:
        return (f"The key `{rotation.new_key_id}` was withdrawn before the rotation finished "
                "and has been deleted; your current key is unchanged. Run `/access rotate-key` "
                "again.")
    why = f" {escape(rotation.note)}" if rotation.note else ""
    return (f"The rotation stopped before Gatehouse recorded a new key, so this message holds "
            f"none.{why} Your current key is unchanged; run `/access rotate-key` again.")


def warning_settled(rotation: Rotation) -> list[Block]:
    """The "old key still in use" warning once the old key is inactive or gone."""
    state = ("deleted" if rotation.state is RotationState.COMPLETED else
             f"inactive (deleted at {stamp(rotation.delete_at)})")
    return [section(f"Your old access key `{rotation.old_key_id}` is now {state}; use "
                    f"`{rotation.new_key_id}`. Nothing is left to decide here.")]


def reactivated_text(rotation: Rotation) -> str:
    return f"The old access key {rotation.old_key_id} is active again"


def reactivated_question(rotation: Rotation, user: str) -> list[Block]:
    """Asked at the deletion deadline when someone made the old key active again by hand."""
    whose = "Your" if user == rotation.holder else f"<@{rotation.holder}>'s"
    return [
        section(f":warning: {whose} old access key `{rotation.old_key_id}` (IAM user "
                f"`{escape(rotation.iam_user)}`) was deactivated by the rotation, but someone "
                "made it active again by hand, so Gatehouse did not delete it at its deadline. "
                "Delete it now, or keep it (the rotation then ends and leaves it alone)?"),
        actions(button("Delete it now", "key_delete_old", str(rotation.id), "danger",
                       confirm_dialog("Delete the old key?",
                                      f"`{rotation.old_key_id}` is deleted for good; whatever "
                                      "uses it fails.", "Delete")),
                button("Keep it", "key_keep_old", str(rotation.id)),
                block_id=f"key-revived-{rotation.id}"),
    ]


def mapping_text(change: MappingChange) -> str:
    return (f"Access-key mapping change for <@{change.slack_user}>: IAM user "
            f"{change.new_iam_user} ({change.status.value})")


def mapping_approval(change: MappingChange, admin_via: Sequence[str],
                     admins: Sequence[str]) -> list[Block]:
    """Approve/Deny for a changed Slack user -> IAM user mapping; once decided, who and when."""
    was = (f"recorded as IAM user `{escape(change.old_iam_user)}`" if change.old_iam_user
           else "not recorded yet, but the IAM user is recorded as someone else's")
    admin = (f"\n:warning: `{escape(change.new_iam_user)}` is an administrator: "
             f"{escape('; '.join(admin_via))}." if admin_via else "")
    blocks = [section(
        f"*Whose access key does <@{change.slack_user}> rotate"
        f"{f' in account {change.account}' if change.account else ''}?*\nTheir keys are "
        f"{was}; the IAM tag now names `{escape(change.new_iam_user)}`. Anyone who can edit "
        f"IAM tags can move it, so Gatehouse makes no key until a Gatehouse admin approves."
        f"{admin}")]
    if change.status is MappingStatus.PENDING:
        who = " ".join(f"<@{user}>" for user in admins)
        blocks.append(context(f"Asked {stamp(change.requested_at)}. Gatehouse admins: {who}"))
        blocks.append(actions(
            button("Approve", "key_mapping_approve", str(change.id), "primary",
                   confirm_dialog("Approve the change?",
                                  f"<@{change.slack_user}> can then rotate the keys of "
                                  f"`{change.new_iam_user}`.", "Approve")),
            button("Deny", "key_mapping_deny", str(change.id), "danger"),
            block_id=f"key-mapping-{change.id}"))
    else:
        blocks.append(context(f"{change.status.value.capitalize()} by <@{change.decided_by}> "
                              f"at {stamp(change.decided_at)}."))
    return blocks


def old_key_warning(rotation: Rotation, old: AccessKey) -> list[Block]:
    where = " and ".join(f"{label} `{value}`" for label, value in (
        ("service", old.last_used_service), ("region", old.last_used_region)) if value)
    return [
        section(f":warning: Your old access key `{old.key_id}` was used at "
                f"{stamp(old.last_used)}{f' by {where}' if where else ''}, after its "
                f"replacement `{rotation.new_key_id}` was issued: something still uses it. "
                f"Gatehouse deactivates it at *{stamp(rotation.deactivate_at)}*."),
        context("Move that program to the new key, then deactivate the old one now, or "
                "postpone the deactivation by a day."),
        actions(_deactivate_button(rotation, "Deactivate now"),
                button("Postpone 24 h", "key_postpone", str(rotation.id)),
                block_id=f"key-warning-{rotation.id}"),
    ]


def warning_text(old: AccessKey) -> str:
    return f"Your old access key {old.key_id} is still in use"


def slots_full(message: str, holder: str, inactive: Sequence[AccessKey],
               account: str | None = None) -> list[Block]:
    """The two-key refusal, with a button per inactive key that deletes it and continues
    (its value: holder:key id, and :account id when the key is in a managed account)."""
    blocks = [section(message)]
    suffix = f":{account}" if account else ""
    for key in inactive:
        blocks.append(actions(button(
            f"Delete {key.key_id} and rotate", "key_delete_inactive",
            f"{holder}:{key.key_id}{suffix}",
            "danger", confirm_dialog("Delete the inactive key?",
                                     f"`{key.key_id}` is deleted for good; then the rotation "
                                     "goes on.", "Delete")),
            block_id=f"key-delete-{key.key_id}"))
    return blocks


def key_lines(iam_user: str, keys: Sequence[AccessKey], rotation: Rotation | None,
              now: datetime, first_key_allowed: bool = False) -> list[str]:
    """Lines for `/access list`: each key with age, status and last use, then the rotation."""
    lines = [f"• Access key {describe_key(key, now)} (IAM user `{escape(iam_user)}`)"
             for key in keys]
    if not keys:
        lines.append(f"• IAM user `{escape(iam_user)}` has no access key; " + (
            "`/access rotate-key` creates one." if first_key_allowed else
            "Gatehouse rotates keys but does not create a first one."))
    if rotation is not None:
        lines.append(f"• Key rotation: {rotation_progress(rotation)}")
    return lines


def rotation_progress(rotation: Rotation) -> str:
    if rotation.state is RotationState.DELIVERED:
        return (f"old key `{rotation.old_key_id}` is deactivated at "
                f"{stamp(rotation.deactivate_at)}")
    if rotation.state is RotationState.DEACTIVATED:
        return f"old key `{rotation.old_key_id}` is deleted at {stamp(rotation.delete_at)}"
    return "the new key is being created and sent"


def home_section(holder: str, overview: Any, now: datetime, *, tag: str,
                 problem: str | None = None) -> list[Block]:
    """The App Home part: the holder's keys with age, and a Rotate button."""
    title = "*AWS access keys*"
    if problem:
        return [section(f"{title}\n{escape(problem)}")]
    if overview is None:
        return [section(f"{title}\nYou are not linked to an IAM user. An admin can tag yours "
                        f"with `{escape(tag)}` = `{holder}` to let you rotate keys here.")]
    lines = key_lines(overview.iam_user, overview.keys, overview.rotation, now,
                      overview.first_key_allowed)
    blocks = [section(f"{title}\n" + "\n".join(lines))]
    if overview.keys or overview.first_key_allowed:
        label = "Rotate key" if overview.keys else "Create a key"
        blocks.append(actions(button(label, "key_rotate", holder), block_id="key-home"))
    return blocks


def choose_account(message: str, holder: str, accounts: Sequence[tuple[str, str]]) -> list[Block]:
    """Which account's key to rotate: a button per (name, id), the typed command in the text."""
    buttons = [button(f"Rotate in {name}"[:75], "key_rotate_in", f"{holder}:{account_id}")
               for name, account_id in accounts[:25]]
    return [section(message), actions(*buttons, block_id="key-choose-account")]
