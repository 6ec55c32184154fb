"""Target roles must carry Gatehouse's permissions boundary and must not be Gatehouse itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aws.iam import check_target_role, is_same_role, role_boundary_arn, target_role_problems

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/team/ProdReadOnly"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/GatehouseTargetBoundary"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "sts:AssumeRole"}]})


@pytest.mark.parametrize("caller,same", [
    (f"arn:aws:sts::{ACCOUNT}:assumed-role/ProdReadOnly/gatehouse", True),
    (f"arn:aws:sts::{ACCOUNT}:assumed-role/prodreadonly/i-0abc", True),
    (f"arn:aws:iam::{ACCOUNT}:role/ProdReadOnly", True),
    (f"arn:aws:iam::{ACCOUNT}:role/other/path/ProdReadOnly", True),
    (f"arn:aws:sts::{ACCOUNT}:assumed-role/Gatehouse/gatehouse", False),
    ("arn:aws:sts::222222222222:assumed-role/ProdReadOnly/s", False),
    (f"arn:aws-cn:sts::{ACCOUNT}:assumed-role/ProdReadOnly/s", False),
    (f"arn:aws:iam::{ACCOUNT}:user/ProdReadOnly", False),
    (f"arn:aws:sts::{ACCOUNT}:federated-user/ProdReadOnly", False),
    ("not an arn", False),
])
def test_the_callers_identity_is_compared_with_the_role(caller, same):
    assert is_same_role(ROLE, caller) is same


def test_a_role_with_the_boundary_that_is_not_gatehouse_is_fine():
    caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/Gatehouse/gatehouse"
    assert target_role_problems("roles.prod.arn", ROLE, boundary_arn=BOUNDARY,
                                caller_arn=caller) == []


def test_gatehouse_itself_and_a_missing_or_other_boundary_are_named():
    caller = f"arn:aws:sts::{ACCOUNT}:assumed-role/ProdReadOnly/gatehouse"
    [own, none] = target_role_problems("roles.prod.arn", ROLE, boundary_arn=None,
                                       caller_arn=caller)
    assert own.startswith("roles.prod.arn: ") and "Gatehouse's own identity" in own
    assert "has no permissions boundary" in none and "GatehouseTargetBoundary" in none
    [other] = target_role_problems("roles.prod.arn", ROLE, caller_arn="arn:aws:iam::1:user/x",
                                   boundary_arn=f"arn:aws:iam::{ACCOUNT}:policy/Other")
    assert "carries arn:aws:iam::123456789012:policy/Other" in other


def test_the_boundary_is_read_from_iam(aws):
    iam = aws.client("iam")
    document = Path("deploy/permissions-boundary.json").read_text()
    boundary = iam.create_policy(PolicyName="GatehouseTargetBoundary",
                                 PolicyDocument=document)["Policy"]["Arn"]
    iam.create_role(RoleName="ProdReadOnly", Path="/team/", AssumeRolePolicyDocument=TRUST,
                    PermissionsBoundary=boundary)
    iam.create_role(RoleName="Bare", AssumeRolePolicyDocument=TRUST)
    caller = aws.client("sts").get_caller_identity()["Arn"]
    assert role_boundary_arn(iam, ROLE) == boundary
    assert role_boundary_arn(iam, f"arn:aws:iam::{ACCOUNT}:role/Bare") is None
    assert check_target_role(iam, "roles.prod.arn", ROLE, caller) == []
    [bare] = check_target_role(iam, "roles.bare.arn", f"arn:aws:iam::{ACCOUNT}:role/Bare", caller)
    assert "has no permissions boundary" in bare
    [gone] = check_target_role(iam, "roles.gone.arn", f"arn:aws:iam::{ACCOUNT}:role/Gone", caller)
    assert gone.startswith("roles.gone.arn: cannot read")
