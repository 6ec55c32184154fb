"""The sandbox's IAM Identity Center: an instance with the demo people as users, and the
AdministratorAccess permission set requested as prod/admin or dev/admin."""

from __future__ import annotations

from typing import Any

import boto3

from sandbox import seed

PORTAL_URL = "https://example.awsapps.com/start"  # the demo's access portal (not a real one)
PERMISSION_SETS: dict[str, dict[str, Any]] = {
    "admin": {"permission_set": "AdministratorAccess", "accounts": ["prod", "dev"],
              "description": "AdministratorAccess through IAM Identity Center; one approval "
              "from Lee", "max_duration": "2h", "approvers": [seed.LEAD.id]},
}


def seed_identity_center(endpoint: str) -> dict[str, Any]:
    """Users for the demo people (by their Slack e-mail) and the permission set, in the
    emulator's instance; returns the config's `identity_center:` and `permission_sets:`."""
    sso = boto3.client("sso-admin", region_name="us-east-1", endpoint_url=endpoint)
    store = boto3.client("identitystore", region_name="us-east-1", endpoint_url=endpoint)
    instance = sso.list_instances()["Instances"][0]
    for user in seed.DEMO_USERS:
        given, _, family = user.real_name.partition(" ")
        store.create_user(IdentityStoreId=instance["IdentityStoreId"], UserName=user.name,
                          DisplayName=user.real_name,
                          Name={"GivenName": given, "FamilyName": family or given},
                          Emails=[{"Value": user.email, "Type": "work", "Primary": True}])
    sso.create_permission_set(InstanceArn=instance["InstanceArn"], Name="AdministratorAccess",
                              SessionDuration="PT1H",
                              Description="Full access, for incidents")
    return {"identity_center": {"instance_arn": instance["InstanceArn"],
                                "identity_store_id": instance["IdentityStoreId"],
                                "portal_url": PORTAL_URL},
            "permission_sets": PERMISSION_SETS}
