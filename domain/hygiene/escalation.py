"""Privilege-escalation paths: known routes from a principal's permissions to full admin."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from domain.hygiene.findings import CheckContext, Finding, Principal, Severity
from domain.hygiene.model import IamRole
from domain.hygiene.principals import PrincipalPolicies
from domain.hygiene.statements import Allowance
from domain.hygiene.trust import humans_can_assume

OTHER = "gatehouse-probe-other"  # a name no policy spells out, so only wildcards match it


@dataclass(frozen=True)
class Need:
    """An action a route needs; `target` is an IAM resource kind, or None for any resource."""

    action: str
    target: str | None = None
    others_only: bool = False


@dataclass(frozen=True)
class Route:
    key: str
    words: str
    needs: tuple[Need, ...]


def _pass(service_actions: tuple[str, ...], words: str, key: str) -> Route:
    return Route(key, words, (Need("iam:PassRole", "role"),
                              *(Need(action) for action in service_actions)))


ROUTES: tuple[Route, ...] = (
    Route("create_policy_version", "can publish a new default version of a managed policy",
          (Need("iam:CreatePolicyVersion", "policy"),)),
    Route("set_default_policy_version", "can switch a managed policy to another version",
          (Need("iam:SetDefaultPolicyVersion", "policy"),)),
    Route("attach_user_policy", "can attach any managed policy (AdministratorAccess "
          "included) to a user", (Need("iam:AttachUserPolicy", "user"),)),
    Route("attach_group_policy", "can attach any managed policy to a group",
          (Need("iam:AttachGroupPolicy", "group"),)),
    Route("attach_role_policy", "can attach any managed policy to a role",
          (Need("iam:AttachRolePolicy", "role"),)),
    Route("put_user_policy", "can write an inline policy on a user",
          (Need("iam:PutUserPolicy", "user"),)),
    Route("put_group_policy", "can write an inline policy on a group",
          (Need("iam:PutGroupPolicy", "group"),)),
    Route("put_role_policy", "can write an inline policy on a role",
          (Need("iam:PutRolePolicy", "role"),)),
    Route("add_user_to_group", "can add a user to any group, admin groups included",
          (Need("iam:AddUserToGroup", "group"),)),
    Route("create_access_key", "can create access keys for other users",
          (Need("iam:CreateAccessKey", "user", others_only=True),)),
    Route("create_login_profile", "can give other users a console password",
          (Need("iam:CreateLoginProfile", "user", others_only=True),)),
    Route("update_login_profile", "can change other users' console passwords",
          (Need("iam:UpdateLoginProfile", "user", others_only=True),)),
    Route("update_assume_role_policy", "can rewrite a role's trust policy and assume it",
          (Need("iam:UpdateAssumeRolePolicy", "role"), Need("sts:AssumeRole", "role"))),
    _pass(("ec2:RunInstances",), "can pass a role to a new EC2 instance", "pass_role_ec2"),
    _pass(("lambda:CreateFunction", "lambda:InvokeFunction"),
          "can pass a role to a new Lambda function and invoke it", "pass_role_lambda"),
    _pass(("cloudformation:CreateStack",), "can pass a role to a CloudFormation stack",
          "pass_role_cloudformation"),
    _pass(("glue:CreateDevEndpoint",), "can pass a role to a Glue endpoint", "pass_role_glue"),
    _pass(("ecs:RegisterTaskDefinition", "ecs:RunTask"), "can pass a role to an ECS task",
          "pass_role_ecs"),
    _pass(("codebuild:CreateProject", "codebuild:StartBuild"),
          "can pass a role to a CodeBuild project", "pass_role_codebuild"),
    _pass(("sagemaker:CreateNotebookInstance", "sagemaker:CreatePresignedNotebookInstanceUrl"),
          "can pass a role to a SageMaker notebook", "pass_role_sagemaker"),
    _pass(("datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition"),
          "can pass a role to a Data Pipeline", "pass_role_datapipeline"),
    Route("update_lambda_code", "can replace existing Lambda functions' code and act as "
          "their roles", (Need("lambda:UpdateFunctionCode"),)),
    Route("update_glue_endpoint", "can take over existing Glue endpoints and their roles",
          (Need("glue:UpdateDevEndpoint"),)),
    Route("ssm_send_command", "can run commands on EC2 instances and act as their roles",
          (Need("ssm:SendCommand"),)),
)


def _probes(principal: PrincipalPolicies, need: Need, account: str) -> list[str | None]:
    if need.target is None:
        return [None]
    probes = [f"arn:aws:iam::{account}:{need.target}/{OTHER}"]
    if need.target == principal.kind and not need.others_only:
        probes.append(principal.arn)
    return probes


def _grant(principal: PrincipalPolicies, need: Need, account: str) -> Allowance | None:
    grants = (principal.allows(need.action, probe) for probe in _probes(principal, need, account))
    return next((grant for grant in grants if grant), None)


def route_grants(principal: PrincipalPolicies, route: Route,
                 account: str) -> list[Allowance] | None:
    """The grants that open `route` for `principal`, or None when one need is not allowed."""
    grants = []
    for need in route.needs:
        grant = _grant(principal, need, account)
        if grant is None:
            return None
        grants.append(grant)
    return grants


def _in_words(route: Route, grants: list[Allowance]) -> str:
    how = ", ".join(dict.fromkeys(g.source for g in grants))
    actions = " + ".join(need.action for need in route.needs)
    caveat = " (under a condition)" if any(g.conditional for g in grants) else ""
    return f"{route.words} ({actions}, from {how}){caveat}"


def _admin_roles_open_to(principal: PrincipalPolicies, admin_roles: list[IamRole],
                         account: str) -> list[str]:
    """Admin roles whose trust lets this principal's account in and that it may assume."""
    found = []
    for role in admin_roles:
        trusted = principal.arn in str(role.trust_policy) or (
            f"arn:aws:iam::{account}:root" in str(role.trust_policy) and humans_can_assume(role))
        grant = principal.allows("sts:AssumeRole", role.arn) if trusted else None
        if grant:
            found.append(f"can assume admin role {role.name} (sts:AssumeRole, from "
                         f"{grant.source})")
    return found


def escalation_routes(principal: PrincipalPolicies, admin_roles: list[IamRole],
                      account: str) -> list[str]:
    """Every known route to admin open to `principal`, in words."""
    found = [_in_words(route, grants) for route in ROUTES
             if (grants := route_grants(principal, route, account)) is not None]
    return found + _admin_roles_open_to(principal, admin_roles, account)


def check_privilege_escalation(context: CheckContext) -> list[Finding]:
    account = context.snapshot.account_id or "*"
    admin_names = {a.name for a in context.admins if a.kind == "role"}
    admin_roles = [r for r in context.roles if r.name in admin_names]
    findings = []
    for principal in (p for p in context.principals if not p.is_admin):
        routes = escalation_routes(principal, admin_roles, account)
        if routes:
            findings.append(Finding(
                "iam.privilege_escalation", Severity.HIGH,
                f"{principal.name} can make itself an administrator",
                (Principal(principal.kind, principal.name, principal.arn),),
                "Known routes to full admin: " + "; ".join(routes) + ".",
                "Remove these actions, or scope them to named resources and deny them on "
                "the principal itself.",
                iam_user_name=principal.name if principal.kind == "user" else None,
            ))
    return findings


ESCALATION_CHECKS: tuple[Callable[[CheckContext], list[Finding]], ...] = (
    check_privilege_escalation,
)
