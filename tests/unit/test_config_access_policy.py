"""Contract §7 keys on a role: parsed, errors naming the key, and turned into an AccessPolicy."""

import pytest

from config import ConfigError, parse_config
from domain.access_policy import AutoApproval, Principals
from services.access_rules import role_policy

ARN = "arn:aws:iam::123456789012:role/Prod"


def config_with(**role):
    return {"admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
            "roles": {"p": {"arn": ARN, "max_duration": "2h", **role}}}


def problems(role):
    with pytest.raises(ConfigError) as caught:
        parse_config(config_with(**role))
    return caught.value.problems


def test_every_rule_of_section_7_becomes_the_policy():
    config = parse_config(config_with(
        requesters=["S0ENG", "U0CONTRACTOR"], approvers=["S0SRE", "U0LEAD"],
        require_ticket="^(INC|CHG)-[0-9]+$", ticket_url="https://t.example.com/{ticket}",
        max_total="8h", auto_approve={"on_call": ["PABC123"]},
        break_glass={"allowed": ["S0ONCALL"], "max_duration": "1h", "max_per_week": 2,
                     "channel": "C0SECURITY"}))
    policy = role_policy(config.roles["p"], config)
    assert policy.requesters == Principals(frozenset({"U0CONTRACTOR"}), frozenset({"S0ENG"}))
    assert policy.approvers == Principals(frozenset({"U0LEAD"}), frozenset({"S0SRE"}))
    assert policy.auto_approve == AutoApproval(on_call=("PABC123",))
    assert policy.require_ticket == "^(INC|CHG)-[0-9]+$" and policy.max_total == 8 * 3600
    assert policy.break_glass.max_duration == 3600 and policy.break_glass.max_per_week == 2
    assert policy.break_glass.channel == "C0SECURITY"
    assert policy.admins == frozenset({"U0ADMIN"})


def test_defaults_mean_anyone_may_request_and_nobody_is_auto_approved():
    config = parse_config(config_with())
    policy = role_policy(config.roles["p"], config)
    assert policy.requesters is None and not policy.auto_approve and policy.break_glass is None
    assert role_policy(parse_config(config_with(auto_approve=True)).roles["p"],
                       config).auto_approve == AutoApproval(always=True)


@pytest.mark.parametrize("role,key", [
    ({"require_ticket": "(INC"}, "roles.p.require_ticket: is not a regular expression"),
    ({"ticket_url": "https://t.example.com/browse"}, "roles.p.ticket_url: must contain {ticket}"),
    ({"ticket_url": "ftp://t/{ticket}"}, "roles.p.ticket_url: must start with https://"),
    ({"requesters": ["engineers"]}, "roles.p.requesters: 'engineers'"),
    ({"auto_approve": {"on_call": []}}, "roles.p.auto_approve"),
    ({"auto_approve": {"oncall": ["P1"]}}, "roles.p.auto_approve"),
    ({"break_glass": {"allowed": ["S0X"], "max_duration": "13h"}},
     "roles.p.break_glass.max_duration:"),
    ({"break_glass": {"allowed": ["S0X"], "max_duration": "1h", "channel": "security"}},
     "roles.p.break_glass.channel:"),
    ({"break_glass": {"max_duration": "1h"}}, "roles.p.break_glass.allowed: required"),
])
def test_errors_name_the_key(role, key):
    found = problems(role)
    assert any(p.startswith(key) for p in found), found
