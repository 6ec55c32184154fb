"""(1) Slash-command ack latency over HTTP: Gatehouse next to a bare Bolt app, interleaved."""

from __future__ import annotations

import time

from bench.common import (
    SECRET,
    Section,
    Stack,
    bare_bolt_process,
    gatehouse_process,
    ms,
    percentile,
)
from fake_services.slack_signing import FORM, SlackClient, form_body, slash_command_fields

COMMANDS = {"help": "help", "list": "list", "request": "request dev 1h benchmark {n}"}


def body(stack: Stack, user: str, text: str) -> str:
    name = f"ack{time.perf_counter_ns()}"
    from fake_services.slack_models import ResponseTarget

    stack.slack.expect_response(name, ResponseTarget(user, "C0GENERAL"))
    return form_body(slash_command_fields(
        user_id=user, user_name=user.lower(), command="/access", text=text,
        channel_id="C0GENERAL", response_url=stack.slack.response_url(name),
        trigger_id=f"{time.time():.0f}.1.{user}"))


def timed_send(client: SlackClient, text: str) -> float:
    start = time.perf_counter()
    response = client.send(text, FORM)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"ack failed: {response.status_code} {response.text[:200]}")
    return elapsed


def wait_quiet(stack: Stack, quiet: float = 0.3, timeout: float = 30.0) -> None:
    """Until the bot has made no Slack call for `quiet` seconds: its background work is done."""
    deadline, seen, since = time.monotonic() + timeout, -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(stack.slack.calls())
        if count != seen:
            seen, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return
        time.sleep(0.02)


def measure(stack: Stack, clients: dict[str, SlackClient], rounds: int, per_round: int):
    """{(server, command): [seconds]}; servers alternate within each round, and each batch
    starts once the work filed by the one before has finished."""
    samples: dict[tuple[str, str], list[float]] = {}
    counter = 0
    for round_ in range(rounds):
        order = list(clients) if round_ % 2 == 0 else list(reversed(list(clients)))
        for server in order:
            for command, template in COMMANDS.items():
                wait_quiet(stack)
                for _ in range(per_round):
                    counter += 1
                    user = f"U0ACK{counter:05d}"
                    text = body(stack, user, template.format(n=counter))
                    samples.setdefault((server, command), []).append(
                        timed_send(clients[server], text))
    return samples


def run(quick: bool = False) -> Section:
    stack = Stack()
    gatehouse, bare = gatehouse_process(stack, "ack"), bare_bolt_process(stack)
    try:
        clients = {name: SlackClient(server.url, SECRET) for name, server in
                   (("gatehouse", gatehouse), ("bare", bare))}
        measure(stack, clients, rounds=1, per_round=10)  # warm both up
        rounds, per_round = (4, 25) if quick else (10, 50)
        samples = measure(stack, clients, rounds, per_round)
    finally:
        gatehouse.stop()
        bare.stop()
        stack.stop()
    return report(samples, rounds * per_round)


def report(samples, count: int) -> Section:
    section = Section("1. Slash-command ack latency (HTTP, waitress, 8 threads)")
    section.add(f"{count} signed `/access` commands per kind and server, sent one at a time "
                "from one client; Gatehouse (`python bot.py`) and a bare Bolt app that only "
                "acks (`bench/bare_bolt.py`, same Bolt settings, same waitress settings) "
                "alternate in rounds; each batch of 50 starts once the bot's background work "
                "from the batch before has finished. Each `request` is acked first and then "
                "filed for real in the background (stored, posted for approval), so the "
                "requests of a batch are acked while the earlier ones are being filed.", "")
    bare = samples[("bare", "help")] + samples[("bare", "list")] + samples[("bare", "request")]
    base50, base99 = percentile(bare, 50), percentile(bare, 99)
    rows = [["bare Bolt (ack only)", ms(base50), ms(base99), "1.00", "1.00"]]
    for command in COMMANDS:
        values = samples[("gatehouse", command)]
        p50, p99 = percentile(values, 50), percentile(values, 99)
        rows.append([f"Gatehouse `/access {COMMANDS[command].split()[0]}`", ms(p50), ms(p99),
                     f"{p50 / base50:.2f}", f"{p99 / base99:.2f}"])
    section.table(["server, command", "p50", "p99", "p50 ÷ bare", "p99 ÷ bare"], rows)
    return section
