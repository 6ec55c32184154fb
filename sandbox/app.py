"""`python bot.py sandbox`: emulated AWS, the real bot, a Slack-like page, all on 127.0.0.1."""

from __future__ import annotations

import logging
import secrets
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TextIO

import yaml
from waitress.server import create_server

import wiring
from config import load_config, load_environment
from fake_services.fake_federation import FakeFederation
from fake_services.fake_pagerduty import FakePagerDuty
from fake_services.fake_slack import FakeSlack
from fake_services.slack_signing import SlackClient
from fake_services.slack_workspace import SlackWorkspace
from logs import setup_logging
from sandbox import emulated_aws, seed
from sandbox.identity_center import seed_identity_center
from sandbox.page import ClockControl, SandboxPage

HOST = "127.0.0.1"  # the sandbox never listens beyond this machine
DEFAULT_PORT = 3000
BOT_PATHS = ("/slack/events", "/healthz")
log = logging.getLogger("gatehouse.sandbox")


class SandboxClock:
    """Real time plus an offset that the page's clock buttons move forward."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return datetime.now(timezone.utc) + self._offset

    def advance(self, minutes: int) -> datetime:
        with self._lock:
            self._offset += timedelta(minutes=minutes)
        return self()

    def timestamp(self) -> float:
        return self().timestamp()


@dataclass
class Sandbox:
    """Everything `start_sandbox` started; `stop` ends it all."""

    url: str
    workdir: Path
    clock: SandboxClock
    stops: list[Callable[[], Any]] = field(default_factory=list)
    server: Any = None
    runtime: Any = None
    aws_endpoint: str = ""

    @property
    def db_path(self) -> Path:
        return self.workdir / "gatehouse.db"

    @property
    def config_path(self) -> Path:
        return self.workdir / "gatehouse.yml"

    def serve_forever(self) -> None:
        self.server.run()

    def stop(self) -> None:
        for stop in reversed(self.stops):
            try:
                stop()
            except Exception as exc:  # keep stopping the other parts
                log.warning("stopping a sandbox part failed", extra={"error": str(exc)})
        self.stops.clear()
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_aws(sandbox: Sandbox) -> str:
    """Emulated AWS whose clock is the sandbox's; its endpoint is kept for the CLI hint."""
    sandbox.aws_endpoint = emulated_aws.start_aws(sandbox.clock, sandbox.stops)
    return sandbox.aws_endpoint


def start_slack(sandbox: Sandbox) -> FakeSlack:
    workspace = SlackWorkspace(clock=sandbox.clock.timestamp)
    fake = FakeSlack(HOST, 0, workspace=workspace).start()
    sandbox.stops.append(fake.stop)
    seed.seed_slack(workspace)
    return fake


def start_bot(sandbox: Sandbox, fake: FakeSlack, secret: str) -> Any:
    federation = FakeFederation(HOST, 0, clock=sandbox.clock,
                                session_end=emulated_aws.session_end).start()
    sandbox.stops.append(federation.stop)
    config_path = sandbox.config_path
    config_path.write_text("# The sandbox's demo config (sandbox/seed.py writes it).\n"
                           + yaml.safe_dump({**seed.demo_config(), **seed_identity_center(
                               sandbox.aws_endpoint)}, sort_keys=False))
    pagerduty = FakePagerDuty("pd-sandbox", HOST).start()
    sandbox.stops.append(pagerduty.stop)
    seed.seed_pagerduty(pagerduty)
    env = load_environment({
        "PAGERDUTY_API_TOKEN": pagerduty.token, "PAGERDUTY_API_URL": pagerduty.url,
        "SLACK_BOT_TOKEN": "xoxb-sandbox", "SLACK_SIGNING_SECRET": secret,
        "SLACK_API_URL": fake.api_url, "GATEHOUSE_CONFIG": str(config_path),
        "GATEHOUSE_DB": str(sandbox.db_path),
        "GATEHOUSE_FEDERATION_URL": federation.url, "HOST": HOST, "PORT": "0"})
    runtime = wiring.build(env, load_config(config_path), clock=sandbox.clock)
    sandbox.stops.append(runtime.stop)
    sandbox.stops.append(lambda: finish_scheduled_jobs(runtime))  # runs before runtime.stop
    runtime.start_background()
    return runtime


def finish_scheduled_jobs(runtime: Any) -> None:
    """Let a running job (the digest at start-up) end while AWS and Slack still answer."""
    if runtime.scheduler.running:
        runtime.scheduler.shutdown(wait=True)


def daily_digest_if_due(runtime: wiring.Runtime) -> Callable[[], bool]:
    """The daily digest's trigger on the sandbox clock: post today's digest if its time
    (`digest.at`) has passed and it was not posted yet; the scheduler's cron runs on real time."""
    if not runtime.config.digest.enabled:
        return lambda: False
    return runtime.digest.catch_up


def demo_info(config: Any) -> dict[str, Any]:
    """What the page needs to guide a newcomer: the people, the roles, the channels."""
    return {
        "users": [{"id": u.id, "name": u.real_name, "part": u.part, "does": u.does}
                  for u in seed.DEMO_USERS],
        "roles": [{"name": name, "description": role.description}
                  for name, role in config.roles.items()],
        "channels": {"general": seed.GENERAL, "approvals": seed.APPROVALS,
                     "hygiene": seed.HYGIENE},
    }


class Dispatcher:
    """One port: the bot's `/slack/events` and `/healthz`, and the page for everything else."""

    def __init__(self, bot_app: Callable[..., Any]) -> None:
        self.bot_app = bot_app
        self.page: SandboxPage | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") in BOT_PATHS or self.page is None:
            return self.bot_app(environ, start_response)
        return self.page.wsgi_app(environ, start_response)


def serve(sandbox: Sandbox, dispatcher: Dispatcher, port: int, fixed: bool) -> Any:
    """A waitress server on 127.0.0.1; a busy default port falls back to a free one."""
    try:
        server = create_server(dispatcher, host=HOST, port=port, threads=16, ident="gatehouse")
    except OSError:
        if fixed:
            raise
        server = create_server(dispatcher, host=HOST, port=0, threads=16, ident="gatehouse")
    sandbox.stops.append(server.close)
    sandbox.server = server
    return server


def start_sandbox(environ: Mapping[str, str]) -> Sandbox:
    """Start every part; the caller serves `sandbox.server` and calls `stop` at the end."""
    sandbox = Sandbox(url="", workdir=Path(tempfile.mkdtemp(prefix="gatehouse-sandbox-")),
                      clock=SandboxClock())
    try:
        start_aws(sandbox)
        fake = start_slack(sandbox)
        secret = secrets.token_hex(16)
        runtime = sandbox.runtime = start_bot(sandbox, fake, secret)
        dispatcher = Dispatcher(runtime.wsgi())
        port = environ.get("PORT")
        server = serve(sandbox, dispatcher, int(port or DEFAULT_PORT), fixed=bool(port))
        sandbox.url = f"http://{HOST}:{server.effective_port}/"
        control = ClockControl(now=sandbox.clock, advance=sandbox.clock.advance,
                               sweep=runtime.gh.sweep, idle=runtime.background.wait_idle,
                               daily=daily_digest_if_due(runtime))
        dispatcher.page = SandboxPage(fake.workspace, SlackClient(sandbox.url, secret, fake=fake),
                                      control, demo_info(runtime.config), seed.CHANNEL_NAMES)
    except BaseException:
        sandbox.stop()
        raise
    return sandbox


def run_sandbox(environ: Mapping[str, str], out: TextIO | None = None) -> int:
    """Run until Ctrl-C (or SIGTERM); print the address to open."""
    out = out or sys.stdout
    setup_logging(environ.get("LOG_LEVEL", "WARNING").upper())
    port = environ.get("PORT")
    if port is not None and not (port.isdigit() and int(port) <= 65535):
        print(f"PORT: '{port}' is not a port number (0-65535)", file=sys.stderr)
        return 2
    try:
        sandbox = start_sandbox(environ)
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        print(f"The sandbox could not listen on {HOST}:{port}: {exc.strerror}. "
              "Choose another port, e.g. PORT=3001 python bot.py sandbox", file=sys.stderr)
        return 1
    _stop_on_sigterm()
    print(f"Gatehouse sandbox is running. Open {sandbox.url} in your browser.\n"
          "Emulated AWS account, demo Slack workspace, nothing leaves this machine. "
          "Ctrl-C stops it.\n" + cli_hint(sandbox), file=out, flush=True)
    try:
        sandbox.serve_forever()  # waitress returns (rather than raise) on Ctrl-C
    except KeyboardInterrupt:
        pass
    finally:
        print("Stopping the sandbox…", file=out, flush=True)
        sandbox.stop()
    return 0


def cli_hint(sandbox: Sandbox) -> str:
    """Where the sandbox keeps its data, and how to point the CLI at it from another terminal."""
    env = {"GATEHOUSE_CONFIG": str(sandbox.config_path), "GATEHOUSE_DB": str(sandbox.db_path),
           **emulated_aws.aws_environment(sandbox.aws_endpoint)}
    exports = " ".join(f"{name}={value}" for name, value in env.items())
    return (f"Database: {sandbox.db_path} (removed when the sandbox stops).\n"
            "To run the command line against this sandbox, in another terminal:\n"
            f"  export {exports}\n"
            "  python bot.py audit verify\n"
            "  python bot.py digest --print")


def _stop_on_sigterm() -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, interrupt)
