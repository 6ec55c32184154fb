"""The policy evaluator and the privilege-escalation routes, each with a policy that opens it
and a near miss that does not."""

from __future__ import annotations

import pytest

from domain.hygiene import AuthorizationDetails, InlinePolicy, Severity
from domain.hygiene.escalation import ROUTES, escalation_routes
from domain.hygiene.principals import principal_policies
from domain.hygiene.statements import action_matches, decide, parse
from tests.unit.hygiene_builders import ACCOUNT, ADMIN_DOC, check, role, snapshot, user


def allow(*actions, resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": list(actions), "Resource": resource, **extra}


def deny(*actions, resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": list(actions), "Resource": resource, **extra}


def routes_of(*statements, name="eve", roles=()) -> list[str]:
    authorization = AuthorizationDetails(
        users=(user(name, inline_policies=(InlinePolicy("p", {"Statement": list(statements)}),)),),
        roles=tuple(roles))
    admins = [r for r in authorization.roles
              if any(p.name == r.name and p.is_admin for p in principal_policies(authorization))]
    [principal] = [p for p in principal_policies(authorization) if p.name == name]
    return escalation_routes(principal, admins, ACCOUNT)


@pytest.mark.parametrize(("pattern", "action", "matches"), [
    ("*", "iam:PutUserPolicy", True),
    ("iam:*", "iam:PutUserPolicy", True),
    ("iam:Put*", "iam:PutUserPolicy", True),
    ("IAM:putuserpolicy", "iam:PutUserPolicy", True),
    ("iam:Put?serPolicy", "iam:PutUserPolicy", True),
    ("iam:Get*", "iam:PutUserPolicy", False),
    ("iam:PutUser", "iam:PutUserPolicy", False),
    ("madeupservice:*", "iam:PutUserPolicy", False),
    ("madeupservice:Do[it]", "madeupservice:Do[it]", True),
])
def test_action_wildcards(pattern, action, matches):
    assert action_matches(pattern, action) is matches


def test_not_action_allows_everything_it_does_not_name():
    statements = parse({"Statement": {"Effect": "Allow", "NotAction": ["s3:*", "nosuch:Thing"],
                                      "Resource": "*"}}, "p")
    assert decide(statements, "iam:CreateAccessKey", None)
    assert decide(statements, "s3:GetObject", None) is None


def test_an_explicit_deny_wins_and_a_conditional_deny_does_not_prove_safety():
    allowed = allow("iam:*")
    assert decide(parse({"Statement": [allowed, deny("iam:Put*")]}, "p"),
                  "iam:PutUserPolicy", None) is None
    conditional = deny("iam:*", Condition={"Bool": {"aws:MultiFactorAuthPresent": "false"}})
    assert decide(parse({"Statement": [allowed, conditional]}, "p"), "iam:PutUserPolicy", None)


def test_an_unknown_service_in_a_policy_never_hides_the_rest():
    statements = parse({"Statement": [allow("notaservice:*", "*")]}, "p")
    assert decide(statements, "iam:PassRole", "arn:aws:iam::1:role/x")


# One policy that opens each route, and a near miss that does not.
ROUTE_TABLE = {
    "create_policy_version": ([allow("iam:CreatePolicyVersion")],
                              [allow("iam:CreatePolicy")]),
    "set_default_policy_version": ([allow("iam:SetDefaultPolicyVersion")],
                                   [allow("iam:ListPolicyVersions")]),
    "attach_user_policy": ([allow("iam:Attach*")], [allow("iam:DetachUserPolicy")]),
    "attach_group_policy": ([allow("iam:AttachGroupPolicy")],
                            [allow("iam:AttachGroupPolicy", resource="arn:aws:s3:::b")]),
    "attach_role_policy": ([allow("iam:AttachRolePolicy")],
                           [allow("iam:AttachRolePolicy"), deny("iam:AttachRolePolicy")]),
    "put_user_policy": ([allow("iam:PutUserPolicy",
                               resource=f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}")],
                        [allow("iam:GetUserPolicy")]),
    "put_group_policy": ([allow("iam:Put*")], [allow("iam:PutGroupPolicy"),
                                               deny("iam:Put*")]),
    "put_role_policy": ([allow("iam:*")], [allow("iam:PutRolePermissionsBoundary")]),
    "add_user_to_group": ([allow("iam:AddUserToGroup")], [allow("iam:RemoveUserFromGroup")]),
    "create_access_key": ([allow("iam:CreateAccessKey")],
                          [allow("iam:CreateAccessKey",
                                 resource=f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}")]),
    "create_login_profile": ([allow("iam:CreateLoginProfile")],
                             [allow("iam:CreateLoginProfile",
                                    resource=f"arn:aws:iam::{ACCOUNT}:user/eve")]),
    "update_login_profile": ([allow("iam:UpdateLoginProfile")],
                             [allow("iam:GetLoginProfile")]),
    "update_assume_role_policy": ([allow("iam:UpdateAssumeRolePolicy", "sts:AssumeRole")],
                                  [allow("iam:UpdateAssumeRolePolicy")]),
    "pass_role_ec2": ([allow("iam:PassRole", "ec2:RunInstances")], [allow("ec2:RunInstances")]),
    "pass_role_lambda": ([allow("iam:PassRole", "lambda:*")],
                         [allow("iam:PassRole", "lambda:CreateFunction")]),
    "pass_role_cloudformation": ([allow("iam:PassRole", "cloudformation:Create*")],
                                 [allow("iam:PassRole", "cloudformation:Describe*")]),
    "pass_role_glue": ([allow("iam:PassRole", "glue:CreateDevEndpoint")],
                       [allow("iam:GetRole", "glue:CreateDevEndpoint")]),
    "pass_role_ecs": ([allow("iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:RunTask")],
                      [allow("iam:PassRole", "ecs:RunTask")]),
    "pass_role_codebuild": ([allow("iam:PassRole", "codebuild:CreateProject",
                                   "codebuild:StartBuild")],
                            [allow("iam:PassRole", "codebuild:StartBuild")]),
    "pass_role_sagemaker": ([allow("iam:PassRole", "sagemaker:*")],
                            [allow("iam:PassRole", "sagemaker:List*")]),
    "pass_role_datapipeline": ([allow("iam:PassRole", "datapipeline:*")],
                               [allow("iam:PassRole", "datapipeline:CreatePipeline")]),
    "update_lambda_code": ([allow("lambda:UpdateFunctionCode")],
                           [allow("lambda:UpdateFunctionConfiguration")]),
    "update_glue_endpoint": ([allow("glue:UpdateDevEndpoint")], [allow("glue:GetDevEndpoint")]),
    "ssm_send_command": ([allow("ssm:SendCommand")], [allow("ssm:GetCommandInvocation")]),
}


def test_the_table_covers_every_route():
    assert set(ROUTE_TABLE) == {route.key for route in ROUTES}


@pytest.mark.parametrize("key", sorted(ROUTE_TABLE))
def test_each_route_opens_with_its_policy_and_not_with_a_near_miss(key):
    route = next(r for r in ROUTES if r.key == key)
    enabling, near_miss = ROUTE_TABLE[key]
    assert any(found.startswith(route.words) for found in routes_of(*enabling))
    assert not any(found.startswith(route.words) for found in routes_of(*near_miss))


def test_assuming_an_admin_role_is_a_route_only_with_trust_and_permission():
    admin_role = role("god", inline_policies=(InlinePolicy("all", ADMIN_DOC),))
    can_assume = allow("sts:AssumeRole", resource=admin_role.arn)
    assert routes_of(can_assume, roles=[admin_role]) == [
        "can assume admin role god (sts:AssumeRole, from inline policy p attached directly)"]
    assert routes_of(allow("sts:AssumeRole", resource="arn:aws:iam::1:role/other"),
                     roles=[admin_role]) == []
    untrusted = role("god", {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                            "Principal": {"AWS": "arn:aws:iam::9:root"}}]},
                     inline_policies=(InlinePolicy("all", ADMIN_DOC),))
    assert routes_of(can_assume, roles=[untrusted]) == []


def test_a_conditional_grant_is_reported_with_its_caveat():
    [found] = routes_of(allow("iam:CreateAccessKey",
                              Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}))
    assert found.endswith("(under a condition)")


def test_escalation_finding_spares_admins_and_names_the_routes():
    authorization = AuthorizationDetails(users=(
        user("eve", inline_policies=(InlinePolicy("p", {"Statement": [allow("iam:Put*")]}),)),
        user("root-like", inline_policies=(InlinePolicy("all", ADMIN_DOC),)),
        user("reader", inline_policies=(InlinePolicy("r", {"Statement": [allow("s3:Get*")]}),)),
    ))
    [finding] = check(snapshot(authorization=authorization), "iam.privilege_escalation")
    assert finding.iam_user_name == "eve" and finding.severity is Severity.HIGH
    assert "can write an inline policy on a user (iam:PutUserPolicy" in finding.detail


def test_a_permissions_boundary_caps_the_routes():
    boundary = {"Statement": [allow("s3:*")]}
    from domain.hygiene import ManagedPolicy
    policy = ManagedPolicy("Bound", f"arn:aws:iam::{ACCOUNT}:policy/Bound", "v1", boundary)
    bounded = user("eve", inline_policies=(InlinePolicy("p", {"Statement": [allow("iam:*")]}),),
                   permissions_boundary=policy.arn)
    snap = snapshot(authorization=AuthorizationDetails(users=(bounded,), policies=(policy,)))
    assert check(snap, "iam.privilege_escalation") == []
