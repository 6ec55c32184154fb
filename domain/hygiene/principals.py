"""Each user's and role's effective identity policies: managed, inline, through groups, bounded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from domain.hygiene.model import AttachedPolicy, AuthorizationDetails, InlinePolicy
from domain.hygiene.statements import (
    ADMIN_DOCUMENT,
    AWS_ADMIN_POLICY_ARN,
    Allowance,
    Statement,
    decide,
    grants_full_admin,
    parse,
)


@dataclass(frozen=True)
class PolicySource:
    """A policy a principal holds, named in words ('managed policy X via group ops')."""

    words: str
    document: dict[str, Any]


@dataclass(frozen=True)
class PrincipalPolicies:
    """A user's or role's identity policies, parsed once; `boundary` None when it has none."""

    kind: str
    name: str
    arn: str
    sources: tuple[PolicySource, ...]
    statements: tuple[Statement, ...]
    boundary: tuple[Statement, ...] | None
    admin_ways: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return bool(self.admin_ways)

    def allows(self, action: str, resource: str | None) -> Allowance | None:
        """The grant of `action` on `resource` (None: on some resource), within the boundary."""
        self_name = self.name if self.kind == "user" else None
        grant = decide(self.statements, action, resource, self_name)
        if grant is None or self.boundary is None:
            return grant
        return grant if decide(self.boundary, action, resource, self_name) else None


def policy_documents(authorization: AuthorizationDetails) -> dict[str, dict[str, Any]]:
    """Managed policy ARN -> its default version's document (AdministratorAccess always)."""
    documents = {AWS_ADMIN_POLICY_ARN: ADMIN_DOCUMENT}
    documents.update({p.arn: p.document for p in authorization.policies if p.document})
    return documents


def _sources(attached: Iterable[AttachedPolicy], inline: Iterable[InlinePolicy],
             documents: dict[str, dict[str, Any]], how: str) -> list[PolicySource]:
    found = [PolicySource(f"managed policy {p.name} {how}", documents[p.arn])
             for p in attached if p.arn in documents]
    return found + [PolicySource(f"inline policy {p.name} {how}", p.document) for p in inline]


def _admin_ways(sources: list[PolicySource], boundary_arn: str | None,
                documents: dict[str, dict[str, Any]]) -> tuple[str, ...]:
    ways = [source.words for source in sources if grants_full_admin(source.document)]
    if not ways or boundary_arn is None:
        return tuple(ways)
    boundary = documents.get(boundary_arn)
    if boundary is None:
        return tuple(f"{way} (permissions boundary {boundary_arn} not readable)" for way in ways)
    return tuple(ways) if grants_full_admin(boundary) else ()


def _principal(kind: str, name: str, arn: str, sources: list[PolicySource],
               boundary_arn: str | None, documents: dict[str, dict[str, Any]]) -> PrincipalPolicies:
    statements = tuple(s for source in sources for s in parse(source.document, source.words))
    boundary_doc = documents.get(boundary_arn) if boundary_arn else None
    boundary = parse(boundary_doc, "permissions boundary") if boundary_doc else None
    return PrincipalPolicies(kind, name, arn, tuple(sources), statements, boundary,
                             _admin_ways(sources, boundary_arn, documents))


def principal_policies(authorization: AuthorizationDetails) -> tuple[PrincipalPolicies, ...]:
    """Every user, then every role that is not service-linked, with its effective policies."""
    documents = policy_documents(authorization)
    groups = {g.name: g for g in authorization.groups}
    found = []
    for user in authorization.users:
        sources = _sources(user.attached_policies, user.inline_policies, documents,
                           "attached directly")
        for group in (groups[name] for name in user.groups if name in groups):
            sources += _sources(group.attached_policies, group.inline_policies, documents,
                                f"via group {group.name}")
        found.append(_principal("user", user.name, user.arn, sources,
                                user.permissions_boundary, documents))
    for role in (r for r in authorization.roles if not r.is_service_linked):
        sources = _sources(role.attached_policies, role.inline_policies, documents, "attached")
        found.append(_principal("role", role.name, role.arn, sources,
                                role.permissions_boundary, documents))
    return tuple(found)
