"""Slack side of the use cases: post, thread, DM and scrub through the Web API."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from config import Config, RoleConfig
from domain.access_policy import find_ticket
from domain.errors import UserError
from domain.requests import AccessRequest, Grant, Kind
from domain.text import escape
from handlers import blocks
from services.access_rules import role_policy
from services.ports import Credentials

log = logging.getLogger("gatehouse.slack")
CACHE_SECONDS = 600


class SlackNotifier:
    """Implements the SlackPort the services use."""

    def __init__(self, client: WebClient, config: Config,
                 deciders: Callable[[AccessRequest], list[str]] | None = None,
                 on_home_changed: Callable[[set[str]], None] | None = None) -> None:
        self.client = client
        self.config = config
        self.deciders = deciders or (lambda request: [])
        self.on_home_changed = on_home_changed or (lambda users: None)
        self._cache: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    # --- the approval message -------------------------------------------------------------

    def post_request(self, request: AccessRequest, channel: str, approvers: list[str]) -> str:
        response = self.client.chat_postMessage(
            channel=channel, text=blocks.request_text(request),
            blocks=self._request_blocks(request, [], approvers))
        return response["ts"]

    def refresh_request(self, request: AccessRequest, approvals: list[str]) -> None:
        if not request.channel or not request.message_ts:
            return
        self._quietly(self.client.chat_update, channel=request.channel, ts=request.message_ts,
                      text=blocks.request_text(request),
                      blocks=self._request_blocks(request, approvals, self.deciders(request)))

    def _request_blocks(self, request: AccessRequest, approvals: list[str],
                        deciders: list[str]) -> list[dict[str, Any]]:
        role = self.config.role(request.role)
        return blocks.request_message(request, description=role.description if role else "",
                                      approvals=approvals, deciders=deciders,
                                      ticket=_ticket(role, request, self.config))

    def thread(self, request: AccessRequest, text: str) -> None:
        if request.channel and request.message_ts:
            self._quietly(self.client.chat_postMessage, channel=request.channel,
                          thread_ts=request.message_ts, text=text)

    def remind(self, request: AccessRequest, approvers: list[str]) -> None:
        self.thread(request, blocks.reminder_text(request, approvers))

    # --- break-glass ----------------------------------------------------------------------

    def announce(self, channel: str, text: str) -> None:
        self.client.chat_postMessage(channel=channel, text=text, blocks=[blocks.section(text)])

    def review_prompt(self, request: AccessRequest, text: str) -> tuple[str, str]:
        """The review buttons in the approval thread, also shown in the channel."""
        response = self.client.chat_postMessage(
            channel=request.channel, thread_ts=request.message_ts, reply_broadcast=True,
            text=text, blocks=blocks.break_glass_review(request.id, text))
        return str(request.channel), response["ts"]

    def settle_review(self, channel: str, ts: str, text: str) -> None:
        self._quietly(self.client.chat_update, channel=channel, ts=ts, text=text,
                      blocks=blocks.break_glass_reviewed(text))

    # --- direct messages ------------------------------------------------------------------

    def dm(self, user: str, text: str,
           blocks_: list[dict[str, Any]] | None = None) -> tuple[str, str]:
        channel = self._dm_channel(user)
        response = self.client.chat_postMessage(channel=channel, text=text, blocks=blocks_)
        return channel, response["ts"]

    def dm_credentials(self, request: AccessRequest, grant: Grant, credentials: Credentials,
                       console_url: str | None, note: str | None) -> tuple[str, str]:
        """Post the secrets in a DM, or replace them in the existing one on extension."""
        content = blocks.credentials_message(
            request, grant, access_key_id=credentials.access_key_id,
            secret_access_key=credentials.secret_access_key,
            session_token=credentials.session_token, console_url=console_url, note=note)
        text = f"{request.label}: your credentials for {grant.role}"
        if grant.dm_channel and grant.dm_ts:
            self.client.chat_update(channel=grant.dm_channel, ts=grant.dm_ts, text=text,
                                    blocks=content)
            return grant.dm_channel, grant.dm_ts
        return self.dm(grant.requester, text, content)

    def scrub_credentials(self, grant: Grant, request: AccessRequest, ended: str) -> None:
        """Replace the credentials DM so that no secret remains in Slack; retried by Slack SDK."""
        self.client.chat_update(channel=grant.dm_channel, ts=grant.dm_ts,
                                text=f"{request.label}: access {ended}",
                                blocks=blocks.credentials_removed(request, grant, ended))

    def warn_expiry(self, grant: Grant, request: AccessRequest) -> tuple[str, str]:
        minutes = max(1, self.config.requests.warn_before_expiry // 60)
        return self.dm(grant.requester, f"Your access to {grant.role} ends in {minutes} minutes",
                       blocks.expiry_warning(grant, minutes))

    def settle_expiry_warning(self, grant: Grant, text: str) -> None:
        self.client.chat_update(channel=grant.warning_channel, ts=grant.warning_ts, text=text,
                                blocks=blocks.expiry_warning_settled(text))

    # --- look-ups -------------------------------------------------------------------------

    def user_email(self, user: str) -> str | None:
        def fetch() -> str | None:
            try:
                profile = self.client.users_info(user=user)["user"].get("profile", {})
            except SlackApiError as exc:
                log.warning("users.info failed", extra={"user": user, "error": str(exc)})
                return None
            return profile.get("email") or None
        return self._cached(f"email:{user}", fetch)

    def group_members(self, group: str, fresh: bool = False) -> list[str]:
        """Members of a user group. `fresh` (decisions): read now, and a failure raises."""
        if fresh:
            members = list(self.client.usergroups_users_list(usergroup=group)["users"])
            with self._lock:
                self._cache[f"group:{group}"] = (time.monotonic() + CACHE_SECONDS, members)
            return members

        def fetch() -> list[str]:
            try:
                return list(self.client.usergroups_users_list(usergroup=group)["users"])
            except SlackApiError as exc:
                log.warning("usergroups.users.list failed", extra={"group": group,
                                                                   "error": str(exc)})
                return []
        return self._cached(f"group:{group}", fetch)

    def group_handles(self) -> dict[str, str]:
        """Each user group's handle (`sre` for @sre), read from Slack now."""
        return usergroup_handles(self.client)

    def home_changed(self, users: set[str]) -> None:
        self.on_home_changed(users)

    def _dm_channel(self, user: str) -> str:
        return self._cached(f"dm:{user}", lambda: self.client.conversations_open(
            users=user)["channel"]["id"])

    def _cached(self, key: str, fetch: Callable[[], Any]) -> Any:
        with self._lock:
            hit = self._cache.get(key)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        value = fetch()
        with self._lock:
            self._cache[key] = (time.monotonic() + CACHE_SECONDS, value)
        return value

    def _quietly(self, method: Callable[..., Any], **kwargs: Any) -> None:
        """Status posts must not undo the change they report: log a failure, go on."""
        try:
            method(**kwargs)
        except (SlackApiError, OSError) as exc:
            log.warning("Slack call failed", extra={"error": str(exc)})


def usergroup_handles(client: WebClient) -> dict[str, str]:
    """`usergroups.list`: group id -> handle, for `who-can` and `policy explain`."""
    groups = client.usergroups_list()["usergroups"]
    return {g["id"]: g["handle"] for g in groups if g.get("id") and g.get("handle")}


def _ticket(role: RoleConfig | None, request: AccessRequest, config: Config) -> str | None:
    """The request's ticket as Slack mrkdwn (a link when the role has a ticket_url)."""
    if role is None or role.require_ticket is None or request.kind is Kind.KEY:
        return None
    try:
        ticket = find_ticket(role_policy(role, config), request.reason)
    except UserError:
        return None
    if ticket is None:
        return None
    return f"<{ticket.url}|{escape(ticket.key)}>" if ticket.url else escape(ticket.key)
