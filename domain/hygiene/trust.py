"""Trust-policy checks: roles anyone may assume, confused deputies, long sessions for people."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from domain.durations import format_duration
from domain.hygiene.findings import CheckContext, Finding, Principal, Severity
from domain.hygiene.model import IamRole
from domain.hygiene.statements import as_list, raw_statements

# Condition keys that pin the caller down, when compared with a concrete value.
NARROWING_KEYS = frozenset({
    "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn",
    "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths",
    "aws:sourceowner", "sts:externalid", "aws:userid", "aws:principalservicename",
})
ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
NARROWING_OPERATORS = frozenset({
    "stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike",
})
SOURCE_KEYS = frozenset({"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid",
                         "aws:sourceorgpaths"})
# These services assume a role only for resources in the role's own account (PassRole
# cannot cross accounts), so a confused deputy has nothing to work with.
SAME_ACCOUNT_SERVICES = frozenset({"ec2.amazonaws.com", "lambda.amazonaws.com",
                                   "ecs-tasks.amazonaws.com", "edgelambda.amazonaws.com"})
WILDCARDS = frozenset("*?")


def _role(role: IamRole) -> Principal:
    return Principal("role", role.name, role.arn)


def _allows(statement: dict[str, Any]) -> bool:
    return statement.get("Effect") == "Allow"


def _principals(statement: dict[str, Any], kind: str) -> list[str]:
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"] if kind == "AWS" else []
    return [str(p) for p in as_list(principal.get(kind))] if isinstance(principal, dict) else []


def _concrete(key: str, value: Any) -> bool:
    """A value that cannot match every caller: no wildcard where the identity is."""
    text = str(value)
    if not WILDCARDS & set(text):
        return bool(text)
    if key in ARN_KEYS and text.count(":") >= 5:
        return not WILDCARDS & set(text.split(":")[4]) and bool(text.split(":")[4])
    if key.endswith("orgpaths"):
        return not WILDCARDS & set(text.split("/")[0])
    return False


def _narrows(operator: str, key: str, values: Any) -> bool:
    base = operator.lower()
    if base.startswith("forallvalues:") or base.endswith("ifexists"):
        return False  # both match when the key is absent
    base = base.removeprefix("foranyvalue:")
    values = as_list(values)
    return (base in NARROWING_OPERATORS and key.lower() in NARROWING_KEYS and bool(values)
            and all(_concrete(key.lower(), v) for v in values))


def open_condition(statement: dict[str, Any]) -> str | None:
    """For a statement open to '*': None when a condition narrows it, else what was judged."""
    condition = statement.get("Condition")
    pairs = [(op, key, values) for op, block in (condition or {}).items()
             if isinstance(block, dict) for key, values in block.items()]
    if any(_narrows(op, key, values) for op, key, values in pairs):
        return None
    if not pairs:
        return "no condition"
    judged = "; ".join(f"{op} {key} {values}" for op, key, values in pairs)
    return f"a condition that does not narrow who may assume it ({judged})"


def open_to_anyone(trust_policy: dict[str, Any]) -> str | None:
    """Why anyone in the world may assume the role, or None."""
    for statement in filter(_allows, raw_statements(trust_policy)):
        if "*" in _principals(statement, "AWS"):
            why = open_condition(statement)
            if why:
                return why
    return None


def who_can_assume(role: IamRole) -> str:
    """The trust policy's principals in words: 'AWS arn:…:root; Service ec2.amazonaws.com'."""
    named = [f"{kind} {p}" for statement in filter(_allows, raw_statements(role.trust_policy))
             for kind in ("AWS", "Federated", "Service") for p in _principals(statement, kind)]
    return "; ".join(dict.fromkeys(named)) or "nobody"


def humans_can_assume(role: IamRole) -> bool:
    """Trusted by SAML/Identity Center, an account root, IAM users or anyone."""
    for statement in filter(_allows, raw_statements(role.trust_policy)):
        aws = _principals(statement, "AWS")
        federated = _principals(statement, "Federated")
        if any(p == "*" or p.endswith(":root") or ":user/" in p or p.isdigit() for p in aws):
            return True
        if any(":saml-provider/" in p for p in federated):
            return True
    return False


def check_open_trust_policies(context: CheckContext) -> list[Finding]:
    findings = []
    for role in context.roles:
        why = open_to_anyone(role.trust_policy)
        if why:
            findings.append(Finding(
                "role.trust_any_principal", Severity.CRITICAL,
                f"Anyone can assume role {role.name}", (_role(role),),
                f"Its trust policy allows Principal '*' with {why}: any AWS account can "
                "assume it.", "Name the accounts or roles allowed in the trust policy, or add "
                "a condition such as aws:PrincipalOrgID or sts:ExternalId.",
            ))
    return findings


def unguarded_services(role: IamRole) -> list[str]:
    """Service principals trusted without aws:SourceAccount / aws:SourceArn."""
    found = []
    for statement in filter(_allows, raw_statements(role.trust_policy)):
        keys = {key.lower() for block in (statement.get("Condition") or {}).values()
                if isinstance(block, dict) for key in block}
        found += [s for s in _principals(statement, "Service")
                  if s not in SAME_ACCOUNT_SERVICES and not keys & SOURCE_KEYS]
    return sorted(set(found))


def check_confused_deputy(context: CheckContext) -> list[Finding]:
    findings = []
    for role in (r for r in context.roles if not r.is_service_linked):
        services = unguarded_services(role)
        if services:
            findings.append(Finding(
                "role.confused_deputy", Severity.MEDIUM,
                f"Role {role.name} trusts {', '.join(services)} for any account", (_role(role),),
                f"{', '.join(services)} may assume it on behalf of any customer: its trust "
                "policy has no aws:SourceAccount or aws:SourceArn condition.",
                f"Add \"Condition\": {{\"StringEquals\": {{\"aws:SourceAccount\": "
                f"\"{context.snapshot.account_id or '<account id>'}\"}}}} to the statement.",
            ))
    return findings


def check_long_sessions_for_humans(context: CheckContext) -> list[Finding]:
    """Roles outside the config that people assume, with sessions above the ceiling."""
    ceiling, findings = context.thresholds.max_session_for_humans, []
    for role in context.roles:
        longest = role.max_session_duration
        if (role.arn in context.role_grant_limits or longest is None or longest <= ceiling
                or not humans_can_assume(role)):
            continue
        findings.append(Finding(
            "role.long_sessions_for_humans", Severity.MEDIUM,
            f"People can hold role {role.name} for {format_duration(longest)}", (_role(role),),
            f"MaxSessionDuration is {format_duration(longest)}, above the ceiling of "
            f"{format_duration(ceiling)}; assumed by: {who_can_assume(role)}.",
            f"aws iam update-role --role-name {role.name} --max-session-duration "
            f"{max(ceiling, 3600)}, or grant it through Gatehouse.",
        ))
    return findings


TRUST_CHECKS: tuple[Callable[[CheckContext], list[Finding]], ...] = (
    check_open_trust_policies, check_confused_deputy, check_long_sessions_for_humans,
)
