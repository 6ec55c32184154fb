"""check-config --online for Identity Center: the instance, its store, permission sets, accounts."""

from __future__ import annotations

from datetime import UTC, datetime

from aws.clients import AwsClients
from config import parse_config
from wiring.identity_center import identity_center_problems

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


def settings(instance_arn: str, store_id: str, permission_set: str) -> dict:
    return {
        "admins": ["U0ADMIN"], "approvals_channel": "C0APPROVALS",
        "roles": {"ro": {"arn": "arn:aws:iam::111111111111:role/ReadOnly",
                         "max_duration": "1h"}},
        "accounts": {"prod": {"id": "111111111111",
                              "manage_role": "arn:aws:iam::111111111111:role/Manage"}},
        "identity_center": {"instance_arn": instance_arn, "identity_store_id": store_id,
                            "portal_url": "https://example.awsapps.com/start"},
        "permission_sets": {"admin": {"permission_set": permission_set, "accounts": ["prod"],
                                      "max_duration": "1h"}},
    }


def test_a_good_setup_has_no_problems_and_a_missing_permission_set_is_named(aws):
    sso = aws.client("sso-admin")
    instance = sso.list_instances()["Instances"][0]
    sso.create_permission_set(InstanceArn=instance["InstanceArn"], Name="AdministratorAccess",
                              SessionDuration="PT1H")
    hub = AwsClients.from_environment("us-east-1")
    good = parse_config(settings(instance["InstanceArn"], instance["IdentityStoreId"],
                                 "AdministratorAccess"))
    assert identity_center_problems(good, hub, lambda: NOW) == []
    missing = parse_config(settings(instance["InstanceArn"], instance["IdentityStoreId"],
                                    "PowerUser"))
    assert identity_center_problems(missing, hub, lambda: NOW) == [
        "permission_sets.admin.permission_set: no permission set 'PowerUser' in the instance"]


def test_a_wrong_instance_or_store_is_named(aws):
    instance = aws.client("sso-admin").list_instances()["Instances"][0]
    hub = AwsClients.from_environment("us-east-1")
    wrong = parse_config(settings("arn:aws:sso:::instance/ssoins-0000000000000000",
                                  instance["IdentityStoreId"], "AdministratorAccess"))
    [problem] = identity_center_problems(wrong, hub, lambda: NOW)
    assert problem.startswith("identity_center.instance_arn: no such instance here")
