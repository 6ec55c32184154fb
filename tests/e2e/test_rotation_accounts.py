"""Key rotation across accounts: each rotation acts in its own account through its manage role."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from tests.e2e.conftest import (
    ACCOUNT,
    ADMIN,
    APPROVALS,
    DEV,
    Clock,
    base_config,
    start_bot,
    stop_bot,
)
from tests.e2e.test_rotation_flow import key_dm, new_key_id, secret_of

TAG = "slack-user-id"
PROD, DEVACCT = "111111111111", "222222222222"


def multi_config(**extra) -> dict:
    def manage(account_id: str) -> str:
        return f"arn:aws:iam::{account_id}:role/GatehouseManage"
    return {**base_config(), **extra, "accounts": {
        "hub": {"id": ACCOUNT, "manage_role": manage(ACCOUNT)},
        "prod": {"id": PROD, "manage_role": manage(PROD)},
        "dev": {"id": DEVACCT, "manage_role": manage(DEVACCT)}}}


@pytest.fixture
def multi(tmp_path, aws, slack, federation):
    harness = start_bot(tmp_path, aws, slack, federation, multi_config(), Clock())
    yield harness
    stop_bot(harness)


def iam_in(gh, account_id: str):
    """IAM acting in `account_id` (moto keeps accounts apart by the assumed role's account)."""
    return gh.runtime.accounts.clients(account_id).iam()


def make_user(iam, name: str, slack_id: str | None) -> str:
    tags = [{"Key": TAG, "Value": slack_id}] if slack_id else []
    iam.create_user(UserName=name, Tags=tags)
    return iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]


def keys(iam, name: str) -> dict[str, str]:
    return {k["AccessKeyId"]: k["Status"]
            for k in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]}


def answer(gh, user: str, text: str, contains: str) -> str:
    seen = len(gh.slack.ephemerals(user))
    gh.command(user, text)
    found = gh.answer(user, contains, timeout=10, after=seen)
    gh.idle()
    return found


def refuse_manage_role(gh, account_id: str):
    """Make AssumeRole of `account_id`'s manage role fail, as a broken trust policy does."""
    def answer(params, **kwargs):
        if account_id in str(params.get("body", "")):
            return (SimpleNamespace(status_code=403, headers={}),
                    {"Error": {"Code": "AccessDenied", "Message": "not trusted"},
                     "ResponseMetadata": {}})
        return None
    gh.runtime.accounts.hub.sts().meta.events.register("before-call.sts.AssumeRole", answer)


def test_a_key_is_rotated_and_retired_in_the_account_of_the_iam_user(multi, aws):
    gh = multi
    prod, hub = iam_in(gh, PROD), iam_in(gh, ACCOUNT)
    old = make_user(prod, "dev", DEV)
    decoy = make_user(hub, "dev", None)  # same name in Gatehouse's own account, not tagged
    text = answer(gh, DEV, "rotate-key", "access key")
    assert f"in account `prod` ({PROD})" in text
    dm = key_dm(gh, DEV)
    new, secret = new_key_id(dm), secret_of(dm)
    assert f"in account `prod` ({PROD})" in json.dumps(dm.blocks)
    assert keys(prod, "dev") == {old: "Active", new: "Active"}
    assert keys(hub, "dev") == {decoy: "Active"}
    sts = aws.session.client("sts", endpoint_url=aws.endpoint, aws_access_key_id=new,
                             aws_secret_access_key=secret)
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{PROD}:user/dev"
    rotation = gh.runtime.keys.rotations.open_for("dev", PROD)
    assert rotation.account == PROD and gh.runtime.keys.rotations.open_for("dev") is None

    gh.clock.advance(hours=24)
    gh.gh.sweep()
    assert keys(prod, "dev") == {old: "Inactive", new: "Active"}
    gh.clock.advance(days=7)
    gh.gh.sweep()
    assert keys(prod, "dev") == {new: "Active"} and keys(hub, "dev") == {decoy: "Active"}
    entries = [e for e in gh.runtime.audit.entries() if e.action.startswith("key.")]
    assert {e.action for e in entries} >= {"key.rotation_requested", "key.deactivated",
                                          "key.deleted", "key.mapping_recorded"}
    assert all(e.details.get("account") == PROD for e in entries)


def test_a_user_in_two_accounts_is_asked_which_and_only_that_one_is_rotated(multi):
    gh = multi
    prod, dev = iam_in(gh, PROD), iam_in(gh, DEVACCT)
    in_prod, in_dev = make_user(prod, "dana", DEV), make_user(dev, "dana-dev", DEV)
    text = answer(gh, DEV, "rotate-key", "several accounts")
    assert "`/access rotate-key prod`" in text and "`/access rotate-key dev`" in text
    assert keys(prod, "dana") == {in_prod: "Active"} and keys(dev, "dana-dev") == {in_dev: "Active"}

    choice = next(e for e in gh.slack.ephemerals(DEV) if "several accounts" in (e.text or ""))
    gh.client.click(DEV, "key_rotate_in", f"{DEV}:{DEVACCT}", message=choice, channel="C0GENERAL")
    gh.answer(DEV, f"in account `dev` ({DEVACCT})", timeout=10)
    gh.idle()
    assert len(keys(dev, "dana-dev")) == 2 and keys(prod, "dana") == {in_prod: "Active"}

    text = answer(gh, DEV, "rotate-key prod", "access key")  # the other one, by name
    assert f"in account `prod` ({PROD})" in text and len(keys(prod, "dana")) == 2


def test_an_unknown_or_unmapped_account_is_refused_in_words(multi):
    gh = multi
    old = make_user(iam_in(gh, PROD), "dev", DEV)
    text = answer(gh, DEV, "rotate-key staging", "no account")
    assert "`staging`" in text and "`prod`" in text and "`dev`" in text
    text = answer(gh, DEV, "rotate-key dev", "not linked")
    assert f"account `dev` ({DEVACCT})" in text and TAG in text
    assert keys(iam_in(gh, PROD), "dev") == {old: "Active"}


def test_an_unreachable_account_is_named_and_the_others_still_searched(multi):
    gh = multi
    prod = iam_in(gh, PROD)
    make_user(prod, "dev", DEV)
    refuse_manage_role(gh, DEVACCT)
    text = answer(gh, DEV, "rotate-key", "access key")
    assert len(keys(prod, "dev")) == 2
    assert f"could not search account `dev` ({DEVACCT})" in text and "trust policy" in text

    text = answer(gh, DEV, "rotate-key dev", "could not reach")
    assert f"`dev` ({DEVACCT})" in text
    text = answer(gh, ADMIN, "rotate-key", "not linked")
    assert f"`dev` ({DEVACCT})" in text and "trust policy" in text


def test_key_jobs_after_a_restart_act_in_the_stored_account(tmp_path, aws, slack, federation):
    clock = Clock()
    first = start_bot(tmp_path, aws, slack, federation, multi_config(), clock)
    try:
        dev, prod = iam_in(first, DEVACCT), iam_in(first, PROD)
        old = make_user(dev, "dev", DEV)
        same_name = make_user(prod, "dev", None)
        answer(first, DEV, "rotate-key", "access key")
        new = new_key_id(key_dm(first, DEV))
    finally:
        stop_bot(first)
    clock.advance(hours=24)
    second = start_bot(tmp_path, aws, slack, federation, multi_config(), clock)
    try:
        second.gh.sweep()
        dev, prod = iam_in(second, DEVACCT), iam_in(second, PROD)
        assert keys(dev, "dev") == {old: "Inactive", new: "Active"}
        clock.advance(days=7)
        second.gh.sweep()
        assert keys(dev, "dev") == {new: "Active"} and keys(prod, "dev") == {same_name: "Active"}
    finally:
        stop_bot(second)


@pytest.mark.parametrize("extra", [{"keys": {"requires_approval": True}}])
def test_an_approved_rotation_names_and_acts_in_its_account(tmp_path, aws, slack, federation,
                                                            extra):
    gh = start_bot(tmp_path, aws, slack, federation, multi_config(**extra), Clock())
    try:
        prod, dev = iam_in(gh, PROD), iam_in(gh, DEVACCT)
        make_user(prod, "dev", DEV)
        in_dev = make_user(dev, "dev", DEV)
        text = answer(gh, DEV, "rotate-key prod", "filed")
        number = int(text.split()[0].removeprefix("R-"))
        message = gh.request_message(number, APPROVALS)
        assert f"account prod ({PROD})" in json.dumps(message.blocks)
        gh.client.click(ADMIN, "approve", str(number), message=message)
        gh.wait_status(number, "expired", timeout=10)
        assert len(keys(prod, "dev")) == 2 and keys(dev, "dev") == {in_dev: "Active"}
    finally:
        stop_bot(gh)
