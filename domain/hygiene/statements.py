"""IAM policy evaluation: wildcards in actions, NotAction, NotResource and explicit Deny."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

AWS_ADMIN_POLICY_ARN = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_DOCUMENT = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
WILDCARD_ACTIONS = frozenset({"*", "*:*"})
SELF_VARIABLE = "${aws:username}"


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def raw_statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in as_list(document.get("Statement")) if isinstance(s, dict)]


@lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile("".join(parts), re.IGNORECASE if ignore_case else 0)


def action_matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, `*` and `?` anywhere (`iam:Put*`, `*`)."""
    return _glob(str(pattern), True).fullmatch(action) is not None


def resource_matches(pattern: str, resource: str, self_name: str | None = None) -> bool:
    """ARN matching; `${aws:username}` is the principal itself, other variables match anything."""
    pattern = str(pattern)
    if self_name is not None:
        pattern = pattern.replace(SELF_VARIABLE, self_name)
    pattern = re.sub(r"\$\{[^}]*\}", "*", pattern)
    return _glob(pattern, False).fullmatch(resource) is not None


@dataclass(frozen=True)
class Statement:
    """One statement; `not_actions`/`not_resources` are set when the statement uses them."""

    effect: str
    actions: tuple[str, ...]
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...]
    not_resources: tuple[str, ...] | None
    conditional: bool
    source: str

    def covers_action(self, action: str) -> bool:
        if self.not_actions is not None:
            return not any(action_matches(p, action) for p in self.not_actions)
        return any(action_matches(p, action) for p in self.actions)

    def covers_resource(self, resource: str | None, self_name: str | None = None) -> bool:
        """Applies to `resource`? None asks 'to some resource' (Allow), 'to all' (Deny)."""
        if resource is None:
            if self.effect == "Deny":
                return self.not_resources is None and "*" in self.resources
            return bool(self.resources) or self.not_resources != ("*",)
        if self.not_resources is not None:
            return not any(resource_matches(p, resource, self_name) for p in self.not_resources)
        return any(resource_matches(p, resource, self_name) for p in self.resources)


def parse(document: dict[str, Any], source: str) -> tuple[Statement, ...]:
    """The valid statements of a document; one with neither Action nor NotAction is skipped."""
    found = []
    for raw in raw_statements(document):
        effect = raw.get("Effect")
        if effect not in ("Allow", "Deny") or ("Action" not in raw and "NotAction" not in raw):
            continue
        not_actions = tuple(map(str, as_list(raw["NotAction"]))) if "NotAction" in raw else None
        not_resources = (tuple(map(str, as_list(raw["NotResource"])))
                         if "NotResource" in raw else None)
        resources = tuple(map(str, as_list(raw.get("Resource", "*" if not_resources is None
                                                   else None))))
        found.append(Statement(effect, tuple(map(str, as_list(raw.get("Action")))), not_actions,
                               resources, not_resources, bool(raw.get("Condition")), source))
    return tuple(found)


@dataclass(frozen=True)
class Allowance:
    """Why an action is allowed: the policy that allows it, and whether only under a condition."""

    source: str
    conditional: bool


def decide(statements: tuple[Statement, ...], action: str, resource: str | None,
           self_name: str | None = None) -> Allowance | None:
    """The Allow that grants `action` on `resource`, or None when none does or a Deny wins.

    A Deny under a condition may not apply, so only an unconditional Deny refuses.
    """
    grant = None
    for statement in statements:
        if not (statement.covers_action(action)
                and statement.covers_resource(resource, self_name)):
            continue
        if statement.effect == "Deny" and not statement.conditional:
            return None
        if statement.effect == "Allow" and (grant is None or grant.conditional):
            grant = Allowance(statement.source, statement.conditional)
    return grant


def grants_full_admin(document: dict[str, Any]) -> bool:
    """True when a statement allows every action on every resource."""
    return any(
        statement.get("Effect") == "Allow"
        and WILDCARD_ACTIONS & set(as_list(statement.get("Action")))
        and "*" in as_list(statement.get("Resource"))
        for statement in raw_statements(document)
    )


def service_wide_actions(document: dict[str, Any]) -> list[str]:
    """Action patterns that allow a whole service (`s3:*`) or everything (`*`) on `*`."""
    return [str(action) for statement in raw_statements(document)
            if statement.get("Effect") == "Allow" and "*" in as_list(statement.get("Resource"))
            for action in as_list(statement.get("Action"))
            if str(action) in WILDCARD_ACTIONS or str(action).endswith(":*")]
