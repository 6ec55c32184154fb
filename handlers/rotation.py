"""Slack edge of key rotation: `/access rotate-key`, its buttons, list lines and App Home."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from config import Config
from domain.errors import UserError
from domain.iam import AccessKey
from domain.rotation import KeySlotsFull, MappingChange, Rotation
from handlers import rotation_blocks
from handlers.commands import USAGE, Command, user_mention
from handlers.notifier import SlackNotifier
from handlers.replies import Background, ephemeral, on_click
from services.rotation.accounts import ChooseAccount
from services.rotation.commands import KeyOverview, RotationCommands

log = logging.getLogger("gatehouse.keys")
LIST_BUDGET_SECONDS = 2.0  # `/access list` is answered inside Slack's 3-second ack
GONE = {"message_not_found", "channel_not_found"}  # deleted by its holder: no secret is left


class SlackKeyMessages:
    """Implements the rotation's key-messages port: the DM that holds a secret, and its later
    versions."""

    def __init__(self, notifier: SlackNotifier, config: Config,
                 account_name: Callable[[str], str | None] | None = None) -> None:
        self.notifier = notifier
        self.config = config
        self.account_name = account_name  # an account id -> its name, with `accounts:`

    def _where(self, rotation: Rotation) -> str:
        """' in account `prod` (111111111111)' for a rotation in a managed account."""
        if rotation.account is None:
            return ""
        name = self.account_name(rotation.account) if self.account_name else None
        return f" in account `{name}` ({rotation.account})" if name else \
            f" in account {rotation.account}"

    def announce_key(self, rotation: Rotation) -> tuple[str, str]:
        return self.notifier.dm(rotation.holder, rotation_blocks.ANNOUNCE_TEXT,
                                rotation_blocks.key_announced(rotation, self._where(rotation)))

    def deliver_key(self, rotation: Rotation, secret: str, now: datetime) -> None:
        """chat.update of the announced DM: the secret never goes into a new message."""
        blocks = rotation_blocks.key_delivery(rotation, secret, self.config.keys.delete_after,
                                              self._where(rotation))
        self.notifier.client.chat_update(channel=rotation.dm_channel, ts=rotation.dm_ts,
                                         text=rotation_blocks.delivery_text(rotation),
                                         blocks=blocks)

    def conceal_key(self, rotation: Rotation, why: str | None) -> None:
        """chat.update with new blocks: a message edited without them would keep the secret."""
        if not rotation.dm_channel or not rotation.dm_ts:
            return
        blocks = rotation_blocks.key_concealed(rotation, why, self.config.keys.delete_after,
                                               self._where(rotation))
        try:
            self.notifier.client.chat_update(channel=rotation.dm_channel, ts=rotation.dm_ts,
                                             text=rotation_blocks.delivery_text(rotation),
                                             blocks=blocks)
        except SlackApiError as exc:
            if exc.response.get("error") not in GONE:
                raise  # the stored job tries again
            log.info("key DM already gone", extra={"rotation": rotation.id})

    def warn_old_key_used(self, rotation: Rotation, old: AccessKey,
                          now: datetime) -> tuple[str, str]:
        return self.notifier.dm(rotation.holder, rotation_blocks.warning_text(old),
                                rotation_blocks.old_key_warning(rotation, old))

    def settle_warning(self, rotation: Rotation) -> None:
        self._update(rotation.warning_channel, rotation.warning_ts,
                     f"Your old access key {rotation.old_key_id}",
                     rotation_blocks.warning_settled(rotation))

    def ask_about_reactivated(self, rotation: Rotation, user: str) -> None:
        self.notifier.dm(user, rotation_blocks.reactivated_text(rotation),
                         rotation_blocks.reactivated_question(rotation, user))

    def ask_mapping_approval(self, change: MappingChange, admin_via: tuple[str, ...],
                             admins: tuple[str, ...]) -> tuple[str, str]:
        channel = self.config.approvals_channel
        response = self.notifier.client.chat_postMessage(
            channel=channel, text=rotation_blocks.mapping_text(change),
            blocks=rotation_blocks.mapping_approval(change, admin_via, admins))
        return channel, response["ts"]

    def show_mapping_decision(self, change: MappingChange) -> None:
        self._update(change.channel, change.message_ts, rotation_blocks.mapping_text(change),
                     rotation_blocks.mapping_approval(change, (), ()))

    def _update(self, channel: str | None, ts: str | None, text: str,
                blocks: list[dict[str, Any]]) -> None:
        if not channel or not ts:
            return
        try:
            self.notifier.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
        except SlackApiError as exc:
            if exc.response.get("error") not in GONE:
                raise


class RotationHandlers:
    def __init__(self, service: RotationCommands, clock: Callable[[], datetime],
                 background: Background, iam_user_tag: str) -> None:
        self.service = service
        self.now = clock
        self.background = background
        self.iam_user_tag = iam_user_tag
        self._readers = ThreadPoolExecutor(max_workers=2, thread_name_prefix="gatehouse-keys")

    # --- /access rotate-key [@user] [account] ---------------------------------------------

    def on_command(self, parsed: Command, user: str, command: dict[str, Any]) -> str | None:
        holder, account = rotation_args(parsed, user)
        url = command.get("response_url")
        return self._rotating(user, holder, lambda text, blocks: WebhookClient(url).send(
            text=text, blocks=blocks, response_type="ephemeral") if url else None, account)

    def _rotating(self, user: str, holder: str,
                  show: Callable[[str, list[dict[str, Any]]], Any],
                  account: str | None = None) -> str | None:
        """Rotate; when an inactive key is in the way, show a button that deletes it; when
        the holder has IAM users in several accounts, a button per account."""
        try:
            return self.service.request(user, holder, self.now(), account)
        except KeySlotsFull as full:
            if not full.inactive:
                raise
            show(str(full), rotation_blocks.slots_full(str(full), holder, full.inactive,
                                                       full.account))
            return None
        except ChooseAccount as choice:
            show(str(choice), rotation_blocks.choose_account(
                str(choice), holder, [(a.name, a.id) for a in choice.accounts]))
            return None

    # --- buttons --------------------------------------------------------------------------

    def stored(self, user: str, action: dict[str, Any]) -> str | None:
        return self.service.stored(_rotation_id(action), user, self.now())

    def deactivate_now(self, user: str, action: dict[str, Any]) -> str | None:
        return self.service.deactivate_now(_rotation_id(action), user, self.now())

    def postpone(self, user: str, action: dict[str, Any]) -> str | None:
        return self.service.postpone(_rotation_id(action), user, self.now())

    def delete_inactive(self, user: str, action: dict[str, Any]) -> str | None:
        holder, key_id, account = _holder_and_key(action)
        try:
            return self.service.delete_inactive(holder, key_id, user, self.now(), account)
        except KeySlotsFull as full:
            raise UserError(str(full)) from None

    def delete_old(self, user: str, action: dict[str, Any]) -> str | None:
        return self.service.delete_old(_rotation_id(action), user, self.now())

    def keep_old(self, user: str, action: dict[str, Any]) -> str | None:
        return self.service.keep_old(_rotation_id(action), user, self.now())

    def approve_mapping(self, user: str, action: dict[str, Any]) -> str | None:
        return self.service.decide_mapping(_rotation_id(action), True, user, self.now())

    def deny_mapping(self, user: str, action: dict[str, Any]) -> str | None:
        return self.service.decide_mapping(_rotation_id(action), False, user, self.now())

    def on_rotate(self, ack: Ack, body: dict[str, Any], client: WebClient,
                  respond: Respond) -> None:
        """The App Home button: rotate the clicker's own key (text answers go on the Home)."""
        ack()
        user = body["user"]["id"]
        show = _blocks_reply(body, respond, client)
        self.background.run(lambda: self._rotating(user, user, show), ephemeral(respond))

    def on_rotate_in(self, ack: Ack, body: dict[str, Any], action: dict[str, Any],
                     client: WebClient, respond: Respond) -> None:
        """A button of the "which account?" answer: rotate in the account it names."""
        ack()
        user = body["user"]["id"]
        show = _blocks_reply(body, respond, client)
        def rotate() -> str | None:
            holder, account = _holder_and_account(action)
            return self._rotating(user, holder, show, account)
        self.background.run(rotate, ephemeral(respond))

    # --- reading --------------------------------------------------------------------------

    def list_lines(self, user: str) -> list[str]:
        """`/access list` lines, within a time budget (the answer goes inside the ack)."""
        future = self._readers.submit(self._lines, user, self.now())
        try:
            return future.result(timeout=LIST_BUDGET_SECONDS)
        except FutureTimeout:
            return ["• Access keys: AWS is slow to answer; `/access list` again in a moment "
                    "shows them."]

    def _lines(self, user: str, now: datetime) -> list[str]:
        try:
            overviews = self.service.overviews(user, now)
        except UserError as problem:
            return [f"• Access keys: {problem}"]
        return [line for overview in overviews for line in _overview_lines(overview, now)]

    def home_section(self, user: str) -> list[dict[str, Any]]:
        now = self.now()
        tag = self.iam_user_tag
        try:
            overview = self.service.overview(user, now)
        except UserError as problem:
            return rotation_blocks.home_section(user, None, now, tag=tag, problem=str(problem))
        return rotation_blocks.home_section(user, overview, now, tag=tag)


def _overview_lines(overview: KeyOverview, now: datetime) -> list[str]:
    lines = rotation_blocks.key_lines(overview.iam_user, overview.keys, overview.rotation, now,
                                      overview.first_key_allowed)
    if overview.account is None:
        return lines
    return [f"{line} in account {overview.account}" if line.startswith("• Access key ")
            else line for line in lines]


def rotation_target(parsed: Command, user: str) -> str:
    """`rotate-key` -> the caller; `rotate-key @someone` -> that user."""
    return rotation_args(parsed, user)[0]


def rotation_args(parsed: Command, user: str) -> tuple[str, str | None]:
    """`rotate-key [@someone] [account]` -> (whose key, the account named or None)."""
    args = list(parsed.args)
    holder = user
    if args and args[0].startswith("<@"):
        holder = user_mention(args.pop(0)) or ""
    account = args.pop(0) if args and not args[0].startswith(("<", "@")) else None
    if not holder or args:
        raise UserError("Name the person as a Slack mention picked from the list, e.g. "
                        "`/access rotate-key @dana`, and the account by its name, e.g. "
                        f"`/access rotate-key prod`. Write: {USAGE['rotate-key']}")
    return holder, account


def _rotation_id(action: dict[str, Any]) -> int:
    value = str(action.get("value", ""))
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        raise UserError("That button is out of date; `/access list` shows your keys.")
    return int(value)


def _holder_and_key(action: dict[str, Any]) -> tuple[str, str, str | None]:
    """`holder:key id[:account id]` -> (holder, key id, account id or None)."""
    holder, _, rest = str(action.get("value", "")).partition(":")
    key_id, _, account = rest.partition(":")
    if not holder or not key_id.isalnum() or not (account == "" or _is_account_id(account)):
        raise UserError("That button is out of date; run `/access rotate-key` again.")
    return holder, key_id, account or None


def _holder_and_account(action: dict[str, Any]) -> tuple[str, str]:
    """`holder:account id` -> (holder, account id)."""
    holder, _, account = str(action.get("value", "")).partition(":")
    if not holder.isalnum() or not _is_account_id(account):
        raise UserError("That button is out of date; run `/access rotate-key` again.")
    return holder, account


def _is_account_id(text: str) -> bool:
    return len(text) == 12 and text.isascii() and text.isdigit()


def _dm(client: WebClient, user: str, text: str,
        blocks: list[dict[str, Any]] | None = None) -> None:
    channel = client.conversations_open(users=user)["channel"]["id"]
    client.chat_postMessage(channel=channel, text=text, blocks=blocks)


def _blocks_reply(body: dict[str, Any], respond: Respond,
                  client: WebClient) -> Callable[[str, list[dict[str, Any]]], Any]:
    """Buttons go ephemerally where the click has a response URL; from App Home, by DM."""
    if body.get("response_url"):
        return lambda text, blocks: respond(text=text, blocks=blocks, response_type="ephemeral",
                                            replace_original=False)
    return lambda text, blocks: _dm(client, body["user"]["id"], text, blocks)


def register_rotation(app: App, handlers: RotationHandlers) -> None:
    """Register the rotation's buttons; the command, list lines and home section are given to
    the listeners that own those surfaces."""
    app.action("key_stored")(on_click(handlers.background, handlers.stored))
    app.action("key_deactivate_now")(on_click(handlers.background, handlers.deactivate_now))
    app.action("key_postpone")(on_click(handlers.background, handlers.postpone))
    app.action("key_delete_inactive")(on_click(handlers.background, handlers.delete_inactive))
    app.action("key_rotate")(handlers.on_rotate)
    app.action("key_rotate_in")(handlers.on_rotate_in)
    app.action("key_delete_old")(on_click(handlers.background, handlers.delete_old))
    app.action("key_keep_old")(on_click(handlers.background, handlers.keep_old))
    app.action("key_mapping_approve")(on_click(handlers.background, handlers.approve_mapping))
    app.action("key_mapping_deny")(on_click(handlers.background, handlers.deny_mapping))
