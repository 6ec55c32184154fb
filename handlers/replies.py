"""The one error path: refusals become ephemeral replies, surprises a logged reference."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from domain.errors import UserError

log = logging.getLogger("gatehouse.handlers")
Reply = Callable[[str], Any]


def unexpected(exc: BaseException) -> str:
    """Log the failure with a reference and return words for the user; no traceback."""
    reference = uuid.uuid4().hex[:8]
    log.error("unexpected error", exc_info=exc, extra={"reference": reference})
    return (f"Something went wrong on Gatehouse's side (reference {reference}). Part of this "
            "step may already have happened: check `/access list` or the request's thread "
            "before trying again, or give the reference to an admin.")


def guarded(work: Callable[[], str | None], reply: Reply) -> None:
    """Run `work`; send its answer, a refusal or an apology through `reply`."""
    try:
        answer = work()
    except UserError as refusal:
        answer = str(refusal)
    except Exception as exc:
        answer = unexpected(exc)
    if answer:
        try:
            reply(answer)
        except Exception as exc:  # the reply channel itself failed; the log keeps it
            log.warning("could not deliver a reply", extra={"error": str(exc)})


class Background:
    """Runs slow work after the ack, on a small pool of threads."""

    def __init__(self, workers: int = 8) -> None:
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="gatehouse")
        self._busy = 0
        self._idle = threading.Condition()

    def run(self, work: Callable[[], str | None], reply: Reply) -> None:
        with self._idle:
            self._busy += 1
        self.pool.submit(self._tracked, work, reply)

    def _tracked(self, work: Callable[[], str | None], reply: Reply) -> None:
        try:
            guarded(work, reply)
        finally:
            with self._idle:
                self._busy -= 1
                self._idle.notify_all()

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until no work is running or queued; False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._busy == 0, timeout=timeout)

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True)


def ephemeral(respond: Callable[..., Any]) -> Reply:
    """Answer only the clicker, below the message, leaving the message as it is."""
    return lambda text: respond(text=text, response_type="ephemeral", replace_original=False)


def on_click(background: Background,
             work: Callable[[str, dict[str, Any]], str | None]) -> Callable[..., None]:
    """A button listener: ack at once, run `work(user, action)` after it, answer ephemerally."""
    def listener(ack: Callable[..., Any], body: dict[str, Any], action: dict[str, Any],
                 respond: Callable[..., Any]) -> None:
        ack()
        user = body["user"]["id"]
        background.run(lambda: work(user, action), ephemeral(respond))
    return listener
