"""Every shipped and generated IAM policy passes parliament; what its auditors flag is listed."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from parliament import analyze_policy_string

from aws.iam import build_revoke_deny, build_session_policy
from aws.sts import session_tags_for

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
IDENTITY_POLICIES = ["iam-policy.json", "iam-policy-keys.json", "iam-policy-digest.json",
                     "iam-policy-hub.json", "manage-role-policy.json"]
TRUST_POLICIES = {"trust-policy.json": "arn:aws:iam::123456789012:role/ProdReadOnly",
                  "manage-role-trust-policy.json": "arn:aws:iam::111111111111:role/GatehouseManage"}
COMMUNITY = {"PRIVILEGE_ESCALATION", "CREDENTIALS_EXPOSURE", "PERMISSIONS_MANAGEMENT_ACTIONS"}
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def as_identity_policy(name: str) -> str:
    """A trust policy's resource is the role it sits on; parliament wants it written out."""
    document = json.loads((DEPLOY / name).read_text())
    if name in TRUST_POLICIES:
        for statement in document["Statement"]:
            statement["Resource"] = TRUST_POLICIES[name]
    return json.dumps(document)


GENERATED = {
    "session policy": build_session_policy(source_ips=["203.0.113.0/24"], ends_at=NOW),
    "session policy without IPs": build_session_policy(source_ips=[], ends_at=NOW),
    "revoke deny": build_revoke_deny(source_identity="dev@example.com", issued_before=NOW),
}


@pytest.mark.parametrize("name", sorted(p.name for p in DEPLOY.glob("*.json")))
def test_shipped_policies_pass_parliament(name):
    findings = analyze_policy_string(as_identity_policy(name)).findings
    assert [(f.issue, f.detail) for f in findings] == []


@pytest.mark.parametrize("name", GENERATED)
def test_generated_policies_pass_parliament(name):
    findings = analyze_policy_string(json.dumps(GENERATED[name])).findings
    assert [(f.issue, f.detail) for f in findings] == []


def flagged_actions() -> set[tuple[str, str]]:
    flagged = set()
    for name in IDENTITY_POLICIES:
        policy = analyze_policy_string((DEPLOY / name).read_text(),
                                       include_community_auditors=True)
        for finding in policy.findings:
            assert finding.issue in COMMUNITY, (name, finding.issue, finding.detail)
            actions = (finding.location or {}).get("actions") or finding.detail
            flagged |= {(name, action.lower()) for action in actions}
    return flagged


def listed_actions() -> set[tuple[str, str]]:
    rows = re.findall(r"^\| `([\w.-]+\.json)` \| `([\w:]+)` \|", (DEPLOY / "README.md").read_text(),
                      re.M)
    return {(name, action.lower()) for name, action in rows}


def test_every_action_the_community_auditors_flag_is_listed_with_its_containment():
    assert flagged_actions() == listed_actions()


def test_the_trust_policy_requires_a_tag_gatehouse_always_sends():
    sent = set(session_tags_for(1, "U0DEV", "dev"))
    [assume] = [s for s in json.loads((DEPLOY / "trust-policy.json").read_text())["Statement"]
                if s["Action"] in ("sts:AssumeRole", ["sts:AssumeRole"])]
    required = {key.split("/", 1)[1] for operator, keys in assume["Condition"].items()
                if not operator.startswith("ForAllValues") and operator != "Null"
                for key in keys if key.startswith("aws:RequestTag/")}
    assert required & sent, "sts:AssumeRole passes with no session tag at all"
    assert "sts:SourceIdentity" in assume["Condition"]["StringLike"]


def test_revoke_is_only_allowed_on_roles_carrying_the_boundary():
    boundary = json.loads((DEPLOY / "permissions-boundary.json").read_text())
    statements = json.loads((DEPLOY / "iam-policy.json").read_text())["Statement"]
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [
            statement["Action"]]
        if statement["Effect"] == "Allow" and {"iam:PutRolePolicy", "iam:DeleteRolePolicy"} & \
                set(actions):
            arn = statement["Condition"]["ArnEquals"]["iam:PermissionsBoundary"]
            assert arn.endswith(":policy/GatehouseTargetBoundary")
    denied = {a for s in boundary["Statement"] if s["Effect"] == "Deny"
              for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])}
    assert {"iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:CreateAccessKey",
            "iam:DeleteRolePermissionsBoundary", "iam:UpdateAssumeRolePolicy"} <= denied


def test_key_rotation_is_scoped_to_tagged_people():
    [rotate] = [s for s in json.loads((DEPLOY / "iam-policy-keys.json").read_text())["Statement"]
                if "iam:CreateAccessKey" in s["Action"]]
    assert rotate["Resource"].endswith(":user/people/*")
    assert rotate["Condition"] == {"Null": {"aws:ResourceTag/slack-user-id": "false"}}
