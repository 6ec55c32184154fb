"""IAM Identity Center grants, built for the composition root when `identity_center:` is set."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.client import BaseClient

from aws.accounts import AccountSessions
from aws.clients import CLIENT_CONFIG, AwsClients
from aws.identity_center import Sleep
from aws.identity_center_grants import ClientFor, IdentityCenter
from config import Config
from config.identity_center import PermissionSetConfig
from domain.accounts import Account, account_of_arn
from domain.jobs import Job, JobKind
from services.identity_center import IdentityCenterGrants
from services.identity_center_cleanup import AssignmentCleanup
from services.identity_center_drift import IdentityCenterDrift
from services.identity_center_end import AssignmentEndings, JobHandler
from services.ports import AuditLog, JobQueue, RequestStore, SlackPort
from storage.database import Store
from storage.identity_center import AssignmentRecords

IDENTITY_CENTER_KINDS = (JobKind.IC_UNASSIGN, JobKind.IC_SESSION_DENY, JobKind.IC_LIFT_DENY)


@dataclass(frozen=True)
class IdentityCenterFeature:
    """The instance's adapter, the grant flow's two halves, and the assignment records."""

    center: IdentityCenter
    grants: IdentityCenterGrants
    endings: AssignmentEndings
    records: AssignmentRecords
    cleanup: AssignmentCleanup | None = None  # identity_center.cleanup: true


def identity_center_feature(config: Config, hub: AwsClients, store: Store,
                            requests: RequestStore, jobs: JobQueue, audit: AuditLog,
                            slack: SlackPort, clock: Callable[[], datetime], *,
                            sleep: Sleep | None = None) -> IdentityCenterFeature | None:
    """Everything permission-set grants need; None without `identity_center:`."""
    settings = config.identity_center
    if settings is None:
        return None
    extra = {"sleep": sleep} if sleep else {}
    center = IdentityCenter(center_clients(config, hub, clock),
                            instance_arn=settings.instance_arn,
                            identity_store_id=settings.identity_store_id,
                            portal_url=settings.portal_url, **extra)
    records = AssignmentRecords(store)
    parts = {"config": config, "requests": requests, "jobs": jobs, "audit": audit, "uow": store,
             "slack": slack, "center": center, "records": records}
    cleanup = AssignmentCleanup(requests=requests, jobs=jobs, audit=audit, uow=store,
                                records=records) if settings.cleanup else None
    return IdentityCenterFeature(center=center, grants=IdentityCenterGrants(**parts),
                                 endings=AssignmentEndings(**parts), records=records,
                                 cleanup=cleanup)


def cleanup_timer(feature: IdentityCenterFeature | None,
                  clock: Callable[[], datetime]) -> Callable[[], object] | None:
    """The daily clean-up's run (None unless identity_center.cleanup is true)."""
    if feature is None or feature.cleanup is None:
        return None
    cleanup = feature.cleanup
    return lambda: cleanup.clean_up(clock())


def identity_center_drift(config: Config, hub: AwsClients, store: Store,
                          accounts: AccountSessions | None) -> IdentityCenterDrift | None:
    """The digest's Identity Center source (standing assignments); None without
    identity_center: and permission_sets:. Rules are expanded over the accounts known when
    the digest runs, discovered ones included."""
    settings = config.identity_center
    if settings is None or not config.permission_sets:
        return None
    center = IdentityCenter(center_clients(config, hub, lambda: datetime.now(UTC)),
                            instance_arn=settings.instance_arn,
                            identity_store_id=settings.identity_store_id,
                            portal_url=settings.portal_url)

    def rules() -> list[PermissionSetConfig]:
        known = config.with_accounts(accounts.accounts()) if accounts else config
        return list(known.permission_set_rules().values())
    return IdentityCenterDrift(center, AssignmentRecords(store), rules)


def center_clients(config: Config, hub: AwsClients, clock: Callable[[], datetime]) -> ClientFor:
    """Clients in the instance's region: on `identity_center.manage_role` when it is set
    (assumed, cached and renewed like an account's manage role), else Gatehouse's own."""
    settings = config.identity_center
    region = settings.region or hub.region
    if settings.manage_role is None:
        return _cached(lambda: hub.session, region)
    account = Account(name="identity-center", id=account_of_arn(settings.manage_role),
                      manage_role=settings.manage_role, region=region)
    sessions = AccountSessions(hub, [account], clock=clock)
    return _cached(lambda: sessions.clients(account.id).session, region)


def _cached(session: Callable[[], Any], region: str) -> ClientFor:
    """One client per service, made again when the session is renewed."""
    made: dict[str, tuple[Any, BaseClient]] = {}
    lock = threading.Lock()

    def client_for(service: str) -> BaseClient:
        current = session()
        with lock:
            held = made.get(service)
            if held is None or held[0] is not current:
                held = (current, current.client(service, region_name=region,
                                                config=CLIENT_CONFIG))
                made[service] = held
            return held[1]
    return client_for


def identity_center_jobs(feature: IdentityCenterFeature | None) -> dict[JobKind, JobHandler]:
    """The job kinds of permission-set grants; without `identity_center:` they wait, saying so."""
    if feature is not None:
        return feature.endings.job_handlers()
    return dict.fromkeys(IDENTITY_CENTER_KINDS, _not_configured)


def _not_configured(job: Job, now: datetime) -> None:
    raise RuntimeError(f"{job.action} needs identity_center: in the config, which is no longer "
                       "there; put it back so Gatehouse can finish the permission-set grant")


def identity_center_problems(config: Config, hub: AwsClients,
                             clock: Callable[[], datetime]) -> list[str]:
    """`check-config --online`: the instance, the identity store, every permission set and
    every account it is granted in, read with the credentials Gatehouse will use."""
    settings = config.identity_center
    if settings is None:
        return []
    client_for = center_clients(config, hub, clock)
    center = IdentityCenter(client_for, instance_arn=settings.instance_arn,
                            identity_store_id=settings.identity_store_id,
                            portal_url=settings.portal_url)
    try:
        instances = client_for("sso-admin").list_instances()["Instances"]
        client_for("identitystore").list_users(IdentityStoreId=settings.identity_store_id,
                                               MaxResults=1)
    except Exception as exc:  # any failure here is a finding to print, not a crash
        return [f"identity_center: cannot read the instance or its identity store: {exc}"]
    found = {i["InstanceArn"]: i.get("IdentityStoreId") for i in instances}
    if settings.instance_arn not in found:
        return [f"identity_center.instance_arn: no such instance here "
                f"({', '.join(found) or 'none visible'}); check the ARN and region"]
    if found[settings.instance_arn] != settings.identity_store_id:
        return [f"identity_center.identity_store_id: the instance's identity store is "
                f"{found[settings.instance_arn]}"]
    return _permission_set_problems(config, center)


def _permission_set_problems(config: Config, center: IdentityCenter) -> list[str]:
    problems = []
    for base, entry in config.permission_sets.items():
        key = f"permission_sets.{base}"
        try:
            found = center.permission_set(entry.permission_set)
        except Exception as exc:  # a finding to print
            problems.append(f"{key}.permission_set: {exc}")
            continue
        if found is None:
            problems.append(f"{key}.permission_set: no permission set '{entry.permission_set}' "
                            "in the instance")
            continue
        for name, rule in config.permission_set_rules().items():
            if rule.permission_set != entry.permission_set or name.rsplit("/", 1)[-1] != base:
                continue
            try:
                center.assignments(rule.account_id, found.arn)
            except Exception as exc:  # a finding to print
                problems.append(f"{key}.accounts: account {rule.account} ({rule.account_id}) "
                                f"cannot be read in Identity Center: {exc}")
    return problems
