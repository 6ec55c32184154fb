"""(3) Approve click to credentials DM, split into AWS calls, Slack calls and Gatehouse itself."""

from __future__ import annotations

import threading
import time
from collections import defaultdict

from bench.common import (
    APPROVALS,
    LEAD,
    SECRET,
    Section,
    Stack,
    free_port,
    ms,
    percentile,
)
from fake_services.slack_signing import SlackClient


class Stopwatch:
    """Adds up the time spent inside calls, per kind, while `recording` is set."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self.recording = False
        self._local = threading.local()
        self._lock = threading.Lock()

    def add(self, kind: str, seconds: float) -> None:
        if self.recording:
            with self._lock:
                self.spent[kind] += seconds
                self.counts[kind] += 1

    def wrap(self, kind: str, function):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(kind, time.perf_counter() - start)
        return timed

    def hook_boto(self, client) -> None:
        """Time each AWS call from before it is sent to after it is parsed, retries included."""
        def before(**_):
            self._local.started = time.perf_counter()

        def after(model, **_):
            self.add(f"AWS {model.name}", time.perf_counter() - self._local.started)
        client.meta.events.register_first("before-call.*.*", before)
        client.meta.events.register("after-call.*.*", after)
        client.meta.events.register("after-call-error.*.*", after)

    def reset(self) -> None:
        self.spent.clear()
        self.counts.clear()


def start_bot(stack: Stack):
    """Gatehouse built in this process (so its clients can be timed), served by waitress."""
    from waitress.server import create_server

    import wiring
    from config import load_config, load_environment

    env = stack.bot_env("overhead", free_port())
    runtime = wiring.build(load_environment(env), load_config(env["GATEHOUSE_CONFIG"]))
    server = create_server(runtime.wsgi(), host="127.0.0.1", port=0, threads=8)
    threading.Thread(target=server.run, daemon=True).start()
    return runtime, server, f"http://127.0.0.1:{server.effective_port}"


def instrument(runtime) -> Stopwatch:
    watch = Stopwatch()
    clients = runtime.aws_clients
    for client in (clients.sts(), clients.iam()):
        watch.hook_boto(client)
    port = runtime.aws_grants
    port.console_url = watch.wrap("AWS federation (sign-in token)", port.console_url)
    web = runtime.notifier.client
    web.api_call = watch.wrap("Slack Web API", web.api_call)
    return watch


def credentials_arrived(stack: Stack, user: str) -> bool:
    return any("AWS_SESSION_TOKEN" in str(m.blocks) for m in stack.slack.messages(f"D{user}"))


def one_sample(stack: Stack, runtime, client: SlackClient, watch: Stopwatch, user: str):
    client.command(user, "request dev 1h measure the approval")
    message = stack.slack.wait_for(lambda: [m for m in stack.slack.messages(APPROVALS)
                                            if user in m.text or user in str(m.blocks)], 10)[-1]
    runtime.background.wait_idle(10)
    number = message.text.split(":")[0].split()[0].removeprefix("R-")
    watch.reset()
    watch.recording = True
    start = time.perf_counter()
    client.click(LEAD, "approve", number, message=message)
    stack.slack.wait_for(lambda: credentials_arrived(stack, user) or None, 10)
    total = time.perf_counter() - start
    watch.recording = False
    sample = {"total": total, **dict(watch.spent)}
    runtime.background.wait_idle(10)
    return sample


def run(quick: bool = False) -> Section:
    stack = Stack()
    runtime, server, url = start_bot(stack)
    watch = instrument(runtime)
    client = SlackClient(url, SECRET, fake=stack.slack)
    samples, count = [], 15 if quick else 40
    try:
        for n in range(count + 3):
            user = f"U0OVER{n:03d}"
            stack.slack.add_user(user, user.lower(), email=f"{user.lower()}@example.com")
            sample = one_sample(stack, runtime, client, watch, user)
            if n >= 3:  # the first ones warm caches and connections
                samples.append(sample)
    finally:
        server.close()
        runtime.stop()
        stack.stop()
    return report(samples)


def report(samples: list[dict[str, float]]) -> Section:
    kinds = sorted({k for s in samples for k in s} - {"total"})
    aws = [sum(v for k, v in s.items() if k.startswith("AWS")) for s in samples]
    slack = [s.get("Slack Web API", 0.0) for s in samples]
    total = [s["total"] for s in samples]
    own = [t - a - sl for t, a, sl in zip(total, aws, slack, strict=True)]
    section = Section("3. Approve click to credentials DM")
    section.add(f"{len(samples)} approvals, one at a time, of `/access request dev 1h`: from "
                "sending the signed click to the credentials being in the requester's DM. "
                "AWS calls (moto's server on loopback, timed with botocore `before-call` / "
                "`after-call` hooks on the bot's own clients, and the federation sign-in "
                "token call) and Slack Web API calls (the fake Slack on loopback) are timed "
                "inside the bot; what remains is Gatehouse's own work.", "")
    rows = [["click → credentials DM", ms(percentile(total, 50)), ms(percentile(total, 90))],
            ["all AWS calls", ms(percentile(aws, 50)), ms(percentile(aws, 90))],
            ["Slack Web API calls", ms(percentile(slack, 50)), ms(percentile(slack, 90))],
            ["**Gatehouse overhead** (total − AWS)",
             ms(percentile([t - a for t, a in zip(total, aws, strict=True)], 50)),
             ms(percentile([t - a for t, a in zip(total, aws, strict=True)], 90))],
            ["Gatehouse's own code (total − AWS − Slack)", ms(percentile(own, 50)),
             ms(percentile(own, 90))]]
    section.table(["part", "p50", "p90"], rows)
    detail = [[kind, ms(percentile([s.get(kind, 0.0) for s in samples], 50))] for kind in kinds]
    section.add("Per kind of call (p50 of the time per approval):", "")
    section.table(["call", "p50 per approval"], detail)
    return section
