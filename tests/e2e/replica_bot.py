"""`python bot.py` as a replica under test: the same run, with its clock read from a file.

GATEHOUSE_TEST_CLOCK names a file holding an ISO time that the test moves forward; the
sweep runs whenever the previous one ends (the scheduler's 30 s would only slow the test).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

from aws.clients import AwsClients
from cli import serve_http
from logs import setup_logging
from wiring import build, load_settings


class FileClock:
    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def __call__(self) -> datetime:
        return datetime.fromisoformat(self.path.read_text().strip())


def sweep_forever(runtime) -> None:
    while True:
        runtime.gh.sweep()
        time.sleep(0.05)  # polling: the next sweep sees whatever the clock file says now


def main() -> int:
    env, config = load_settings(os.environ)
    setup_logging(env.log_level)
    runtime = build(env, config, clock=FileClock(os.environ["GATEHOUSE_TEST_CLOCK"]),
                    aws_clients=AwsClients.from_environment(env.aws_region))
    runtime.start_background()
    threading.Thread(target=sweep_forever, args=(runtime,), daemon=True).start()
    serve_http(runtime)
    return 0


if __name__ == "__main__":
    sys.exit(main())
