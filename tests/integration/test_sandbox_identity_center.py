"""The sandbox's Identity Center: prod/admin is granted as an assignment and expires."""

from __future__ import annotations

import os

import boto3

from sandbox import seed
from sandbox.app import start_sandbox


def assigned(runtime, account: str, user_id: str) -> bool:
    center = runtime.identity_center.center
    arn = center.permission_set("AdministratorAccess").arn
    return any(a.principal_id == user_id for a in center.assignments(account, arn))


def test_the_sandbox_grants_prod_admin_as_an_assignment_and_expires_it(aws):
    """`aws` resets the in-process emulator, which the sandbox shares, before it seeds."""
    saved = dict(os.environ)  # the sandbox points boto3 at its emulator through the environment
    sandbox = start_sandbox({"PORT": "0"})
    try:
        runtime, prod = sandbox.runtime, seed.ORG_ACCOUNTS["prod"]
        assert sorted(runtime.config.permission_set_rules()) == ["dev/admin", "prod/admin"]
        erin = runtime.identity_center.center.find_user(seed.ENGINEER.email)
        assert erin is not None and erin.display_name == "Erin Engineer"
        now = sandbox.clock()
        request = runtime.gh.access.submit(seed.ENGINEER.id, "prod/admin", 3600, "incident",
                                           now)
        runtime.gh.access.approve(request.id, seed.LEAD.id, now)
        runtime.background.wait_idle(timeout=10)
        assert runtime.requests.get(request.id).status.value == "active"
        assert assigned(runtime, prod, erin.user_id)
        sandbox.clock.advance(minutes=120)
        runtime.gh.sweep()
        assert runtime.requests.get(request.id).status.value == "expired"
        assert not assigned(runtime, prod, erin.user_id)
    finally:
        sandbox.stop()
        os.environ.clear()
        os.environ.update(saved)
        boto3.DEFAULT_SESSION = None

