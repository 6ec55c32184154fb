"""Bolt listeners: ack at once, parse, call one use case, answer ephemerally."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from domain.break_glass import Verdict
from domain.errors import UserError
from domain.requests import parse_request_id
from domain.scheduled_start import parse_start, take_start
from handlers import commands, render, views
from handlers.replies import Background, ephemeral, guarded, on_click
from services.gatehouse import Gatehouse

# A feature's `/access <name>` subcommand: (parsed, user, command payload) -> answer.
CommandHandler = Callable[[commands.Command, str, dict[str, Any]], str | None]
ListLines = Callable[[str], list[str]]  # a feature's lines in `/access list`
# Subcommands answered inside the ack; the rest run after it and answer by response_url.
SLOW = {"request", "cancel", "revoke", "extend", "rotate-key", "digest", "who-can", "breakglass"}


class Listeners:
    def __init__(self, gh: Gatehouse, background: Background,
                 feature_commands: Mapping[str, CommandHandler] | None = None,
                 list_sources: Sequence[ListLines] = (), *, form_key: str) -> None:
        self.gh = gh
        self.form_key = form_key  # signs the request form's reply channel
        self.background = background
        self.feature_commands = dict(feature_commands or {})
        self.list_sources = list(list_sources)

    # --- /access --------------------------------------------------------------------------

    def on_command(self, ack: Ack, command: dict[str, Any], respond: Respond,
                   client: WebClient) -> None:
        user, text = command["user_id"], command.get("text", "")
        try:
            parsed = commands.parse(text)
        except UserError as refusal:
            ack(text=str(refusal))
            return
        if parsed.name not in SLOW:
            guarded(lambda: self._fast(parsed, user), lambda answer: ack(text=answer))
            return
        if parsed.name == "request" and not parsed.args:
            ack()
            guarded(lambda: self._open_request_modal(client, command), respond)
            return
        ack()
        self.background.run(lambda: self._slow(parsed, user, command), respond)

    def _fast(self, parsed: commands.Command, user: str) -> str:
        if parsed.name == "help":
            return commands.help_text(sorted(self.gh.config.roles),
                                      sorted(self.gh.config.permission_set_rules()))
        if parsed.name == "list":
            return self._list(user)
        if parsed.name == "pending":
            return render.waiting(self.gh.access.waiting_for(user))
        return self._audit(parsed, user)

    def _slow(self, parsed: commands.Command, user: str, command: dict[str, Any]) -> str:
        now = self.gh.now()
        if parsed.name == "request":
            role, seconds, reason = commands.request_args(parsed)
            start, words = take_start(reason.split(), self.gh.config.timezone, now,
                                      self._horizon())
            return self._file(user, role, seconds, " ".join(words), start)
        if parsed.name == "breakglass":
            role, seconds, reason = commands.request_args(parsed)
            return self.gh.breakglass.use(user, role, seconds, reason, now)
        if parsed.name == "who-can":  # reads user groups from Slack, so after the ack
            return self.gh.rules.explain(commands.role_arg(parsed))
        if parsed.name == "cancel":
            return self.gh.access.cancel(commands.request_id(parsed), user, now)
        if parsed.name == "revoke":
            return self.gh.access.revoke(commands.request_id(parsed), user, now)
        if parsed.name == "extend":
            number, seconds, reason = commands.extend_args(parsed)
            request = self.gh.access.extend(user, number, seconds, reason, now)
            return self._confirm(request.id)
        handler = self.feature_commands.get(parsed.name)
        if handler is None:
            return f"`/access {parsed.name}` is not available yet."
        return handler(parsed, user, command)

    def _file(self, user: str, role: str, seconds: int, reason: str,
              start: datetime | None = None) -> str:
        request = self.gh.access.submit(user, role, seconds, reason, self.gh.now(), start)
        return self._confirm(request.id)

    def _horizon(self) -> timedelta:
        return timedelta(seconds=self.gh.config.requests.schedule_horizon)

    def _form_start(self, view: dict[str, Any]) -> datetime | None:
        """The request form's optional start, `YYYY-MM-DD HH:MM` in the config timezone."""
        text = views.submitted(view, "start").strip()
        if not text:
            return None
        return parse_start(text, self.gh.config.timezone, self.gh.now(), self._horizon())

    def _list(self, user: str) -> str:
        shown, grants = self.gh.access.open_of(user)
        extra = [line for source in self.list_sources for line in source(user)]
        return render.own_requests(shown, grants, extra)

    def _audit(self, parsed: commands.Command, user: str) -> str:
        if not self.gh.rules.is_admin(user):
            raise UserError("Only Gatehouse admins can read the audit log.")
        subject, role, days = commands.audit_args(parsed, self.gh.config.roles)
        entries = self.gh.audit.recent(since=self.gh.now() - timedelta(days=days),
                                       subject=subject, role=role, limit=render.AUDIT_READ)
        return render.audit_entries(entries, days)

    def _open_request_modal(self, client: WebClient, command: dict[str, Any]) -> None:
        client.views_open(trigger_id=command["trigger_id"],
                          view=views.request_modal(self.gh.config, views.signed_channel(
                              command.get("channel_id", ""), self.form_key)))

    # --- buttons --------------------------------------------------------------------------

    def approve(self, user: str, action: dict[str, Any]) -> str:
        return self.gh.access.approve(_request_number(action), user, self.gh.now())

    def on_deny(self, ack: Ack, body: dict[str, Any], action: dict[str, Any],
                respond: Respond, client: WebClient) -> None:
        ack()
        user = body["user"]["id"]

        def open_form() -> None:
            number = _request_number(action)
            request = self.gh.access.check_decidable(number, user)
            client.views_open(trigger_id=body["trigger_id"],
                              view=views.deny_modal(number, request.label))
        guarded(open_form, ephemeral(respond))

    def revoke(self, user: str, action: dict[str, Any]) -> str:
        return self.gh.access.revoke(_request_number(action), user, self.gh.now())

    def justified(self, user: str, action: dict[str, Any]) -> str:
        return self.gh.breakglass.review(_request_number(action), user, Verdict.JUSTIFIED,
                                         self.gh.now())

    def not_justified(self, user: str, action: dict[str, Any]) -> str:
        return self.gh.breakglass.review(_request_number(action), user, Verdict.NOT_JUSTIFIED,
                                         self.gh.now())

    def on_extend_open(self, ack: Ack, body: dict[str, Any], action: dict[str, Any],
                       respond: Respond, client: WebClient) -> None:
        ack()
        user = body["user"]["id"]

        def open_form() -> None:  # an ended grant is refused on the click, not after the form
            number = _request_number(action)
            request, _ = self.gh.access.check_extendable(number, user)
            client.views_open(trigger_id=body["trigger_id"],
                              view=views.extend_modal(number, request.label))
        guarded(open_form, ephemeral(respond))

    # --- modals ---------------------------------------------------------------------------

    def on_request_submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any],
                             client: WebClient) -> None:
        user = body["user"]["id"]
        role, reason = views.submitted(view, "role"), views.submitted(view, "reason")
        try:
            channel = views.verified_channel(view.get("private_metadata") or "", self.form_key)
        except UserError as refusal:
            ack(response_action="errors", errors={"role": str(refusal)[:150]})
            return
        try:
            start = self._form_start(view)
        except UserError as refusal:
            ack(response_action="errors", errors={"start": commands.form_error(refusal)})
            return
        try:
            seconds = commands.form_duration(views.submitted(view, "duration"))
            request = self.gh.access.submit(user, role, seconds, reason, self.gh.now(), start)
        except UserError as refusal:
            ack(response_action="errors", errors={_form_block(refusal): commands.form_error(
                refusal)})
            return
        ack()
        self.background.run(lambda: self._confirm(request.id),
                            _to_user(client, user, channel))

    def _confirm(self, request_id: int) -> str:
        """Post a filed request for its approvers; the filer's confirmation."""
        self.gh.access.announce(request_id, self.gh.now())
        request = self.gh.access.request(request_id)
        grant = next((g for r, g in self.gh.access.live_grants_of(request.requester)
                      if r.id in (request.id, request.parent_id)), None)
        return render.filed(request, grant, request.channel or self.gh.config.approvals_channel)

    def on_deny_submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any],
                          client: WebClient) -> None:
        ack()
        user, reason = body["user"]["id"], views.submitted(view, "reason")
        self.background.run(lambda: self.gh.access.deny(_view_request(view), user, reason,
                                                        self.gh.now()),
                            _to_user(client, user, ""))

    def on_extend_submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any],
                            client: WebClient) -> None:
        user, reason = body["user"]["id"], views.submitted(view, "reason")
        try:
            number = _view_request(view)
            seconds = commands.form_duration(views.submitted(view, "duration"))
            request = self.gh.access.extend(user, number, seconds, reason, self.gh.now())
        except UserError as refusal:
            ack(response_action="errors", errors={"duration": commands.form_error(refusal)})
            return
        ack()
        self.background.run(lambda: self._confirm(request.id),
                            _to_user(client, user, ""))


def _form_block(refusal: UserError) -> str:
    """The request form's field a refusal is about."""
    words = str(refusal).lower()
    if "reason" in words[:40]:
        return "reason"
    return "start" if "only be granted between" in words and "start" in words else "duration"


def _request_number(action: dict[str, Any]) -> int:
    number = parse_request_id(str(action.get("value", "")))
    if number is None:
        raise UserError("That button is out of date; use `/access list` instead.")
    return number


def _view_request(view: dict[str, Any]) -> int:
    number = parse_request_id(str(view.get("private_metadata", "")))
    if number is None:
        raise UserError("That form is out of date; use `/access list` instead.")
    return number


def _to_user(client: WebClient, user: str, channel: str) -> Callable[[str], Any]:
    """Answer a modal: ephemeral in the channel it came from, else a DM."""
    def send(text: str) -> None:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user, text=text)
            return
        dm = client.conversations_open(users=user)["channel"]["id"]
        client.chat_postMessage(channel=dm, text=text)
    return send


def register(app: App, listeners: Listeners) -> None:
    """Register the access listeners on the Bolt app."""
    app.command("/access")(listeners.on_command)
    app.action("approve")(on_click(listeners.background, listeners.approve))
    app.action("deny")(listeners.on_deny)
    app.action("revoke")(on_click(listeners.background, listeners.revoke))
    app.action("breakglass_justified")(on_click(listeners.background, listeners.justified))
    app.action("breakglass_not_justified")(on_click(listeners.background,
                                                    listeners.not_justified))
    app.action("extend_open")(listeners.on_extend_open)
    app.action("console_link")(lambda ack: ack())
    app.view("request_modal")(listeners.on_request_submitted)
    app.view("deny_modal")(listeners.on_deny_submitted)
    app.view("extend_modal")(listeners.on_extend_submitted)
