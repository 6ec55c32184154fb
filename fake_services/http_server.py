"""A waitress server on a background thread that stops cleanly, for the tests and benchmarks."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from waitress import wasyncore
from waitress.server import create_server

STOP_SECONDS = 10


class BackgroundServer:
    """`create_server(...).run()` on a thread. `close` closes the sockets inside the server's
    own loop: closing them from another thread races its `select` (`OSError: Bad file
    descriptor` in the server thread)."""

    def __init__(self, app: Callable[..., Any], host: str = "127.0.0.1", port: int = 0,
                 threads: int = 8) -> None:
        self.server: Any = create_server(app, host=host, port=port, threads=threads)
        self.effective_port: int = self.server.effective_port
        self.thread = threading.Thread(target=self.server.run, daemon=True, name="waitress")

    def start(self) -> BackgroundServer:
        self.thread.start()
        return self

    def close(self) -> None:
        """Stop accepting, close every connection, end the worker threads; idempotent."""
        sockets = self.server._map  # the listening socket, the loop's trigger, connections
        self._quiet_trigger()
        if self.thread.is_alive():
            self.server.trigger.pull_trigger(lambda: wasyncore.close_all(sockets))
            self.thread.join(STOP_SECONDS)
        else:
            wasyncore.close_all(sockets)
        self.server.task_dispatcher.shutdown()

    def _quiet_trigger(self) -> None:
        """A worker still answering (say, refusing a large upload) wakes the loop when it is
        done; once the loop has closed its trigger, that wake-up has nothing left to do."""
        trigger = self.server.trigger
        pull = trigger._physical_pull

        def pull_unless_closed() -> None:
            try:
                pull()
            except OSError:  # the loop and its trigger are gone: nothing is waiting to wake
                pass
        trigger._physical_pull = pull_unless_closed
