"""(4) The hygiene digest on big accounts, next to a naive per-user collector on the same data."""

from __future__ import annotations

import gc
import json
import os
import threading
import time
import tracemalloc
from collections import Counter
from datetime import datetime, timezone

from bench.common import ACCOUNT, Section

READ_DOC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
ADMIN_DOC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
ADMINS = 10  # admins and broad principals: the only ones last-accessed data is asked about
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "sts:AssumeRole"}]})


def seed(users: int, roles: int, account: str = ACCOUNT) -> None:
    """Write users, keys, passwords, MFA, policies and roles straight into moto's backend."""
    from moto.backends import get_backend

    iam = get_backend("iam")[account]["global"]
    policy = iam.create_policy("read", "/", READ_DOC, "ReadOnlyS3", [])
    admin = iam.create_policy("admin", "/", ADMIN_DOC, "FullAdmin", [])
    for n in range(users):
        name = f"user{n:05d}"
        iam.create_user("us-east-1", name, tags=[{"Key": "slack-user-id", "Value": f"U{n:05d}"}])
        if n % 2 == 0:
            iam.create_access_key(name)
        if n % 5 == 0:
            iam.create_login_profile(name, "Correct-Horse-9-battery")
        if n < ADMINS:
            iam.attach_user_policy(admin.arn, name)
        elif n % 3 == 0:
            iam.attach_user_policy(policy.arn, name)
        if n % 7 == 0:
            iam.put_user_policy(name, "inline", READ_DOC)
        if n % 11 == 0:
            device = iam.create_virtual_mfa_device(name, "/")
            iam.enable_mfa_device(name, device.serial_number, "123456", "654321")
    for n in range(roles):
        iam.create_role(f"role{n:05d}", TRUST, "/", None, "", [], "3600")


class Meter:
    """Counts each AWS call and the time the emulator spends answering it."""

    def __init__(self, *clients) -> None:
        self.calls: Counter = Counter()
        self.emulator = 0.0
        self._local = threading.local()
        for client in clients:
            client.meta.events.register_first("before-call.*.*", self._call)
            client.meta.events.register_first("before-send.*.*", self._sent)
            client.meta.events.register_first("before-parse.*.*", self._answered)

    def _call(self, model, **_) -> None:
        self.calls[model.name] += 1

    def _sent(self, **_) -> None:
        self._local.sent = time.perf_counter()

    def _answered(self, **_) -> None:
        self.emulator += time.perf_counter() - self._local.sent

    def reset(self) -> None:
        self.calls.clear()
        self.emulator = 0.0


def gatehouse_digest(iam, cloudtrail) -> int:
    from aws.cloudtrail import RateLimiter
    from aws.collect import collect_snapshot
    from domain.hygiene import Thresholds, run_checks
    from tests.digest_seed import answer_last_accessed

    answer_last_accessed(iam, {})  # moto lacks IAM's service last-accessed calls
    now = datetime.now(timezone.utc)
    snapshot = collect_snapshot(iam, cloudtrail, now=now, sleep=lambda _: None,
                                rate_limiter=RateLimiter(2, clock=lambda: 0.0,
                                                         sleep=lambda _: None))
    assert not snapshot.missing, snapshot.missing
    return len(run_checks(snapshot, Thresholds(), now=now))


def naive_collector(iam, _cloudtrail) -> int:
    """What per-user tools do: ListUsers, then five calls for every user."""
    from botocore.exceptions import ClientError

    users = [u for page in iam.get_paginator("list_users").paginate() for u in page["Users"]]
    facts = []
    for user in users:
        name = user["UserName"]
        try:
            iam.get_login_profile(UserName=name)
            console = True
        except ClientError:
            console = False
        facts.append((name, iam.list_access_keys(UserName=name)["AccessKeyMetadata"],
                      iam.list_mfa_devices(UserName=name)["MFADevices"],
                      iam.list_attached_user_policies(UserName=name)["AttachedPolicies"],
                      iam.list_user_policies(UserName=name)["PolicyNames"], console))
    return len(facts)


def measure(collector, clients, meter: Meter, traced: bool) -> dict:
    from botocore.stub import Stubber

    iam, cloudtrail = clients
    stubber = Stubber(cloudtrail)
    stubber.add_response("lookup_events", {"Events": []})  # moto has no LookupEvents
    meter.reset()
    gc.collect()
    if traced:
        tracemalloc.start()
    start = time.perf_counter()
    with stubber:
        result = collector(iam, cloudtrail)
    wall = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    if traced:
        tracemalloc.stop()
    return {"calls": sum(meter.calls.values()), "by_call": dict(meter.calls), "wall": wall,
            "emulator": meter.emulator, "peak": peak, "result": result}


def one_size(users: int, roles: int, naive_memory: bool) -> dict:
    import boto3
    from moto import mock_aws

    os.environ.pop("AWS_ENDPOINT_URL", None)  # mock_aws answers only AWS's own endpoints
    with mock_aws():
        started = time.perf_counter()
        seed(users, roles)
        seeded = time.perf_counter() - started
        iam = boto3.client("iam", region_name="us-east-1")
        cloudtrail = boto3.client("cloudtrail", region_name="us-east-1")
        meter = Meter(iam, cloudtrail)
        iam.generate_credential_report()
        figures = {"seeded": seeded}
        figures["gatehouse"] = measure(gatehouse_digest, (iam, cloudtrail), meter, False)
        figures["gatehouse_peak"] = measure(gatehouse_digest, (iam, cloudtrail), meter,
                                            True)["peak"]
        figures["naive"] = measure(naive_collector, (iam, cloudtrail), meter, False)
        if naive_memory:
            figures["naive_peak"] = measure(naive_collector, (iam, cloudtrail), meter,
                                            True)["peak"]
    return figures


def run(quick: bool = False) -> Section:
    sizes, roles = ([200, 500, 1000], 200) if quick else ([1000, 5000, 10000], 2000)
    results = {size: one_size(size, roles, naive_memory=size == sizes[0]) for size in sizes}
    return report(results, roles)


def mb(value: int | None) -> str:
    return "—" if value is None else f"{value / 1024 / 1024:.0f} MB"


def report(results: dict, roles: int) -> Section:
    section = Section(f"4. Hygiene digest at {', '.join(f'{n:,}' for n in results)} IAM users "
                      f"+ {roles:,} roles")
    section.add("Users (half with an access key, a fifth with a password, a third with a "
                "managed policy, a seventh with an inline policy, an eleventh with MFA) and "
                "roles are written straight into moto's in-process backend (`mock_aws`). "
                "Gatehouse runs `collect_snapshot` + `run_checks` (LookupEvents answered by "
                "a botocore Stubber: moto lacks it); the naive collector calls ListUsers, "
                "then ListAccessKeys, ListMFADevices, ListAttachedUserPolicies, "
                "ListUserPolicies and GetLoginProfile for every user. *Emulator* is the time "
                "moto spends answering, inside the same process; peak memory is tracemalloc's "
                "peak over the whole run, the emulator's allocations included. "
                f"{ADMINS} users hold full admin at every size: service last-accessed data "
                "(GenerateServiceLastAccessedDetails + GetServiceLastAccessedDetails, answered "
                "in-process since moto lacks them) is asked about them only, two calls each, "
                "so that part grows with admins and broad principals, not with users.", "")
    rows = []
    for size, figures in results.items():
        ours, naive = figures["gatehouse"], figures["naive"]
        rows.append([f"{size:,}", "Gatehouse", ours["calls"], f"{ours['wall']:.2f} s",
                     f"{ours['emulator']:.2f} s", f"{ours['wall'] - ours['emulator']:.2f} s",
                     mb(figures["gatehouse_peak"])])
        rows.append([f"{size:,}", "naive per-user", naive["calls"], f"{naive['wall']:.2f} s",
                     f"{naive['emulator']:.2f} s", f"{naive['wall'] - naive['emulator']:.2f} s",
                     mb(figures.get("naive_peak"))])
    section.table(["users", "collector", "AWS calls", "wall time", "emulator",
                   "wall − emulator", "peak memory"], rows)
    last = list(results.values())[-1]["gatehouse"]["by_call"]
    section.add("Gatehouse's calls at the largest size: " + ", ".join(
        f"{name} ×{count}" for name, count in sorted(last.items())) + ". moto returns "
        "GetAccountAuthorizationDetails in one page whatever its size and ListRoles 1,000 "
        "roles a page; AWS pages the former too (up to 1,000 items a page), so against AWS "
        "the count grows by one call per page of users, never by calls per user.")
    return section
