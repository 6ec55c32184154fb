"""What every benchmark shares: the machine, the stand-ins, a bot process, figures and tables."""

from __future__ import annotations

import json
import logging
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import yaml

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"
ACCOUNT = "123456789012"
ADMIN, LEAD = "U0ADMIN", "U0LEAD"
APPROVALS = "C0APPROVALS"


@dataclass
class Section:
    """One benchmark's part of RESULTS.md."""

    title: str
    lines: list[str] = field(default_factory=list)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)

    def table(self, header: list[str], rows: list[list[Any]]) -> None:
        self.lines.append("| " + " | ".join(header) + " |")
        self.lines.append("|" + "|".join("---" for _ in header) + "|")
        self.lines.extend("| " + " | ".join(str(cell) for cell in row) + " |" for row in rows)
        self.lines.append("")

    def markdown(self) -> str:
        return f"## {self.title}\n\n" + "\n".join(self.lines).rstrip() + "\n"


def machine() -> str:
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), "0") if Path("/proc/meminfo").exists() else "0"
    return (f"{os.cpu_count()} CPUs (`nproc`), {int(memory) / 1024 / 1024:.1f} GiB memory, "
            f"Python {platform.python_version()} on {platform.system()} {platform.release()}")


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_config() -> dict[str, Any]:
    arn = f"arn:aws:iam::{ACCOUNT}:role/"
    return {"timezone": "UTC", "admins": [ADMIN], "approvals_channel": APPROVALS,
            "roles": {"dev": {"arn": arn + "Dev", "max_duration": "8h", "approvers": [LEAD]},
                      "sandbox": {"arn": arn + "Sandbox", "max_duration": "1h",
                                  "auto_approve": True}}}


class Stack:
    """The fake Slack, moto's server and the federation stand-in, on loopback, for one run."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        from fake_services.fake_federation import FakeFederation
        from fake_services.fake_slack import FakeSlack

        for name in ("werkzeug", "moto"):
            logging.getLogger(name).setLevel(logging.ERROR)
        self.folder = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
        self.slack = FakeSlack().start()
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        self.federation = FakeFederation().start()
        for user in (ADMIN, LEAD):
            self.slack.add_user(user, user.lower(), email=f"{user.lower()}@example.com")
        self.aws_env = {"AWS_ENDPOINT_URL": self.moto_url, "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_EC2_METADATA_DISABLED": "true"}
        self._saved_env = {name: os.environ.get(name) for name in self.aws_env}
        os.environ.update(self.aws_env)
        # moto's servers in one process share one state: start each benchmark from a clean one.
        requests.post(f"{self.moto_url}/moto-api/reset", timeout=10)
        self.create_roles(bench_config())

    def create_roles(self, config: dict[str, Any]) -> None:
        import boto3

        iam = boto3.client("iam", endpoint_url=self.moto_url, region_name="us-east-1")
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]}]})
        for role in config["roles"].values():
            iam.create_role(RoleName=role["arn"].rsplit("/", 1)[1],
                            AssumeRolePolicyDocument=trust, MaxSessionDuration=43200)

    def bot_env(self, name: str, port: int, config: dict[str, Any] | None = None) -> dict[str, str]:
        config_path = self.folder / f"{name}.yml"
        config_path.write_text(yaml.safe_dump(config or bench_config()))
        return {**os.environ, **self.aws_env, "SLACK_BOT_TOKEN": "xoxb-bench",
                "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": self.slack.api_url,
                "GATEHOUSE_CONFIG": str(config_path),
                "GATEHOUSE_DB": str(self.folder / f"{name}.db"),
                "GATEHOUSE_FEDERATION_URL": self.federation.url, "HOST": "127.0.0.1",
                "PORT": str(port), "LOG_LEVEL": "INFO"}

    def stop(self) -> None:
        self.federation.stop()
        self.moto.stop()
        self.slack.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class Server:
    """A server process (the bot, or the bare Bolt app) on a free loopback port."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.port = int(env["PORT"])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(log, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, *args], env=env, cwd=ROOT,
                                        stdout=self.log, stderr=self.log)
        self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                requests.get(f"{self.url}/healthz", timeout=1)
                return
            except requests.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def gatehouse_process(stack: Stack, name: str) -> Server:
    return Server(["bot.py"], stack.bot_env(name, free_port()), stack.folder / f"{name}.log")


def bare_bolt_process(stack: Stack) -> Server:
    env = stack.bot_env("bare", free_port())
    return Server(["-m", "bench.bare_bolt"], env, stack.folder / "bare.log")
