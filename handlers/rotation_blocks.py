"""Block Kit for key rotation: the key DM, its secret-free version, warnings, lists, App Home."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from domain.durations import format_duration
from domain.iam import AccessKey
from domain.rotation import Rotation, RotationState, describe_key, stamp
from domain.text import escape
from handlers.blocks import Block, actions, button, confirm_dialog, context, section

HEADER = "Your new AWS access key"


def _header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": text[:150]}}


def delivery_text(rotation: Rotation) -> str:
    """The notification text of the key DM: the key id, never the secret."""
    return f"Your new AWS access key {rotation.new_key_id} (IAM user {rotation.iam_user})"


def _who_and_where(rotation: Rotation) -> str:
    by = f"<@{rotation.requested_by}> rotated your access key. " \
        if rotation.for_someone_else else ""
    return f"{by}IAM user `{escape(rotation.iam_user)}`, new key `{rotation.new_key_id}`."


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


def key_delivery(rotation: Rotation, secret: str, delete_after: int) -> list[Block]:
    """The only message that ever holds the secret; `key_concealed` replaces it."""
    credentials = (f"[default]\naws_access_key_id = {rotation.new_key_id}\n"
                   f"aws_secret_access_key = {secret}")
    buttons = [button("I have stored it", "key_stored", str(rotation.id), "primary")]
    if rotation.old_key_id:
        buttons.append(_deactivate_button(rotation))
    return [
        _header(HEADER),
        section(f"{_who_and_where(rotation)} The secret is shown only here, once: store it "
                "now (for example in `~/.aws/credentials`). This message loses it when you "
                "click *I have stored it*, or in an hour."),
        section(f"```{credentials}```"),
        context(_old_key_plan(rotation, delete_after)),
        actions(*buttons, block_id=f"key-{rotation.id}"),
    ]


def key_concealed(rotation: Rotation, why: str, delete_after: int) -> list[Block]:
    """The key DM once the secret is gone from it."""
    if rotation.state in (RotationState.FAILED, RotationState.CREATING, RotationState.CREATED):
        return [_header(HEADER), section(
            f"The key `{rotation.new_key_id}` was withdrawn before the rotation finished and "
            "has been deleted. Run `/access rotate-key` again.")]
    blocks = [
        _header(HEADER),
        section(f"{_who_and_where(rotation)} The secret was removed from this message "
                f"({escape(why)})."),
        context(_old_key_plan(rotation, delete_after)),
    ]
    if rotation.state is RotationState.DELIVERED and rotation.old_key_id:
        blocks.append(actions(_deactivate_button(rotation), block_id=f"key-{rotation.id}"))
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


def slots_full(message: str, holder: str, inactive: Sequence[AccessKey]) -> list[Block]:
    """The two-key refusal, with a button per inactive key that deletes it and continues."""
    blocks = [section(message)]
    for key in inactive:
        blocks.append(actions(button(
            f"Delete {key.key_id} and rotate", "key_delete_inactive", f"{holder}:{key.key_id}",
            "danger", confirm_dialog("Delete the inactive key?",
                                     f"`{key.key_id}` is deleted for good; then the rotation "
                                     "goes on.", "Delete")),
            block_id=f"key-delete-{key.key_id}"))
    return blocks


def key_lines(iam_user: str, keys: Sequence[AccessKey], rotation: Rotation | None,
              now: datetime) -> list[str]:
    """Lines for `/access list`: each key with age, status and last use, then the rotation."""
    lines = [f"• Access key {describe_key(key, now)} (IAM user `{escape(iam_user)}`)"
             for key in keys]
    if not keys:
        lines.append(f"• IAM user `{escape(iam_user)}` has no access key; "
                     "`/access rotate-key` creates one.")
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
    lines = key_lines(overview.iam_user, overview.keys, overview.rotation, now)
    return [section(f"{title}\n" + "\n".join(lines)),
            actions(button("Rotate key", "key_rotate", holder), block_id="key-home")]
