"""App Home: publish each user's Home when they open it and whenever what it shows changes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from domain.errors import UserError
from domain.requests import parse_request_id
from handlers import home_blocks
from handlers.home_blocks import Decision, HomeContent
from handlers.replies import Background, ephemeral
from services.gatehouse import Gatehouse

log = logging.getLogger("gatehouse.home")
Block = dict[str, Any]
HomeSection = Callable[[str], list[Block]]  # a feature's part of a user's Home


class HomePublisher:
    """Builds and publishes Home tabs; `changed` is what the notifier calls on `home_changed`."""

    def __init__(self, gh: Gatehouse, client: WebClient, background: Background,
                 sections: Sequence[HomeSection] = ()) -> None:
        self.gh = gh
        self.client = client
        self.background = background
        self.sections = list(sections)
        self._notices: dict[str, str] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._deciders_shown: set[str] = set()
        self._guard = threading.Lock()

    # --- when to publish ------------------------------------------------------------------

    def changed(self, users: set[str]) -> None:
        """Republish for `users`, and for everyone whose Home lists requests to decide."""
        with self._guard:
            targets = set(users) | self._deciders_shown
        for user in sorted(targets):
            try:
                self.background.run(lambda user=user: self.publish(user), _no_reply)
            except RuntimeError:  # the pool is shutting down; Slack keeps the last Home
                return

    def on_home_opened(self, ack: Ack, event: dict[str, Any]) -> None:
        ack()
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        user = str(event["user"])
        with self._guard:
            self._notices.pop(user, None)
        self.background.run(lambda: self.publish(user), _no_reply)

    def tell(self, user: str, text: str) -> None:
        """Show the answer to a click on the Home at the top of that Home."""
        with self._guard:
            self._notices[user] = text
        self.publish(user)

    # --- what to publish ------------------------------------------------------------------

    def publish(self, user: str) -> None:
        with self._lock_for(user):
            content = self.content(user)
            with self._guard:
                if content.decisions:
                    self._deciders_shown.add(user)
                else:
                    self._deciders_shown.discard(user)
            try:
                self.client.views_publish(user_id=user, view=home_blocks.home_view(content))
            except (SlackApiError, OSError) as exc:
                log.warning("views.publish failed", extra={"user": user, "error": str(exc)})

    def content(self, user: str) -> HomeContent:
        access = self.gh.access
        grants = access.live_grants_of(user)
        pending = access.pending_of(user)
        decisions = [Decision(r, tuple(access.approvers_of(r.id)))
                     for r in access.waiting_for(user)]
        with self._guard:
            notice = self._notices.get(user)
        return HomeContent(user=user, now=self.gh.now(), grants=grants, pending=pending,
                           decisions=decisions, decides=self.gh.rules.decides_anything(user),
                           sections=self._sections(user), notice=notice)

    def _sections(self, user: str) -> list[list[Block]]:
        sections = []
        for provider in self.sections:
            try:
                sections.append(list(provider(user)))
            except Exception as exc:  # one feature's failure must not blank the whole Home
                log.warning("Home section failed", extra={"user": user, "error": str(exc)})
                sections.append(home_blocks.broken_section())
        return sections

    def _lock_for(self, user: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(user, threading.Lock())

    # --- clicks on the Home ---------------------------------------------------------------

    def on_cancel_request(self, ack: Ack, body: dict[str, Any], action: dict[str, Any],
                          respond: Respond) -> None:
        ack()
        user = body["user"]["id"]
        value = str(action.get("value", ""))

        def cancel() -> str:
            number = parse_request_id(value)
            if number is None:
                raise UserError("That button is out of date; use `/access list` instead.")
            return self.gh.access.cancel(number, user, self.gh.now())
        self.background.run(cancel, ephemeral(respond))


class HomeClicks(Middleware):
    """A click on a Home has no response URL, so its answer is shown on the clicker's Home.

    A class-based middleware reads the raw request: Bolt builds no listener arguments for
    it, so a malformed payload still reaches the listeners and the error handler as before.
    """

    def __init__(self, publisher: HomePublisher) -> None:
        self.publisher = publisher

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse:
        body = req.body if isinstance(req.body, dict) else {}
        view = body.get("view") if isinstance(body.get("view"), dict) else {}
        user = (body.get("user") or {}).get("id") if isinstance(body.get("user"), dict) else None
        if body.get("type") == "block_actions" and view.get("type") == "home" and user:
            req.context["respond"] = HomeReply(self.publisher, str(user))
        return next()


class HomeReply:
    """Stands in for `respond` on Home clicks: the answer appears on the clicker's Home."""

    def __init__(self, publisher: HomePublisher, user: str) -> None:
        self.publisher = publisher
        self.user = user

    def __call__(self, text: str | None = None, **_: Any) -> None:
        self.publisher.tell(self.user, text or "Done.")


def _no_reply(text: str) -> None:
    """Publishing a Home answers nobody; failures are logged by the background runner."""


def register_home(app: App, publisher: HomePublisher) -> None:
    """Publish Homes on `app_home_opened`; answer Home clicks on the Home; add Cancel."""
    app.middleware(HomeClicks(publisher))
    app.event("app_home_opened")(publisher.on_home_opened)
    app.action("cancel_request")(publisher.on_cancel_request)
