"""The digest in the running bot: `/access digest`, fix and acknowledge buttons, its Home part."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from config import Config
from domain import digest_text as words
from domain.errors import UserError
from handlers import digest_blocks as blocks
from handlers.commands import Command
from handlers.notifier import SlackNotifier
from handlers.replies import Background, ephemeral, guarded, on_click
from services.digest import DigestService, local_day
from services.digest_actions import DigestActions

log = logging.getLogger("gatehouse.digest")


class DigestFeature:
    """Holds the digest's use cases and answers Slack about them."""

    def __init__(self, config: Config, service: DigestService, actions: DigestActions,
                 notifier: SlackNotifier, background: Background,
                 clock: Callable[[], datetime]) -> None:
        self.config = config
        self.service = service
        self.actions = actions
        self.notifier = notifier
        self.background = background
        self.now = clock

    # --- posting --------------------------------------------------------------------------

    def on_command(self, parsed: Command, user: str, command: dict[str, Any]) -> str:
        """`/access digest`: admins post it now; everyone else is told why not."""
        self.actions.require_admin(user, "post the IAM hygiene digest")
        if not self.config.digest.enabled:
            raise UserError("The digest is off: set `digest.channel` in the config file to the "
                            "channel it should be posted in, then restart Gatehouse.")
        digest, _ = self.service.post(self.now(), trigger="command", actor=user)
        self._homes_changed()
        return (f"Digest posted in <#{self.config.digest.channel}>: "
                f"{blocks.summary_counts(digest)}{words.incomplete(digest)}.")

    def daily(self) -> bool:
        """The scheduled run: posts today's digest unless it was already posted today."""
        posted = self.service.post_daily(self.now())
        if posted:
            self._homes_changed()
        return posted

    def catch_up(self) -> bool:
        """At start: the digest missed earlier today, if any, is posted once."""
        posted = self.service.catch_up(self.now())
        if posted:
            self._homes_changed()
        return posted

    def _homes_changed(self) -> None:
        self.notifier.home_changed(set(self.config.admins))

    def home_section(self, user: str) -> list[dict[str, Any]]:
        """Admins see the latest digest's headline in the App Home."""
        if user not in self.config.admins:
            return []
        latest = self.service.latest_posted()
        if latest is None:
            return []
        return blocks.home_blocks(latest.created_at, latest.summary, latest.channel)

    # --- buttons and the modal ------------------------------------------------------------

    def deactivate_key(self, user: str, action: dict[str, Any]) -> str | None:
        return self.actions.deactivate_key(str(action.get("value", "")), user, self.now())

    def remove_password(self, user: str, action: dict[str, Any]) -> str | None:
        return self.actions.remove_password(str(action.get("value", "")), user, self.now())

    def on_acknowledge(self, ack: Ack, body: dict[str, Any], action: dict[str, Any],
                       respond: Respond, client: WebClient) -> None:
        ack()
        user = body["user"]["id"]

        def open_form() -> None:
            self.actions.require_admin(user, "acknowledge digest findings")
            finding = self.actions.finding(str(action.get("value", "")))
            today = local_day(self.config, self.now())
            client.views_open(trigger_id=body["trigger_id"],
                              view=blocks.ack_modal(finding, today))
        guarded(open_form, ephemeral(respond))

    def on_ack_submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any],
                         client: WebClient) -> None:
        user = body["user"]["id"]
        values = view.get("state", {}).get("values", {})
        chosen = (values.get("until", {}).get("until") or {}).get("selected_date") or ""
        note = (values.get("note", {}).get("note") or {}).get("value") or ""
        try:
            until = date.fromisoformat(chosen)
            answer = self.actions.acknowledge(view.get("private_metadata", ""), until, user,
                                              self.now(), note)
        except ValueError:
            ack(response_action="errors", errors={"until": "Pick the date it is accepted until."})
            return
        except UserError as refusal:
            ack(response_action="errors", errors={"until": str(refusal)[:150]})
            return
        ack()
        self.background.run(lambda: answer, lambda text: self._tell(client, user, text))

    def _tell(self, client: WebClient, user: str, text: str) -> None:
        """An answer to a modal: ephemeral in the digest channel, else a DM."""
        if self.config.digest.channel:
            client.chat_postEphemeral(channel=self.config.digest.channel, user=user, text=text)
        else:
            self.notifier.dm(user, text)


def register_digest(app: App, feature: DigestFeature) -> None:
    """Register the digest's buttons and modal; its command goes to the Listeners."""
    app.action(blocks.ACTION_DEACTIVATE_KEY)(on_click(feature.background, feature.deactivate_key))
    app.action(blocks.ACTION_REMOVE_PASSWORD)(on_click(feature.background,
                                                       feature.remove_password))
    app.action(blocks.ACTION_ACKNOWLEDGE)(feature.on_acknowledge)
    app.view(blocks.ACK_MODAL)(feature.on_ack_submitted)
