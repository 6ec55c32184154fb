"""What moto cannot show: changes still in progress, failures with AWS's reason, provisioning
status, conflicts, throttling and paging; driven through botocore's Stubber."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import ANY, Stubber

from aws.errors import AwsError
from aws.identity_center import (
    Backoff,
    create_assignment,
    delete_assignment,
    find_permission_set,
    find_user_by_email,
)
from aws.identity_center_revoke import provision, remove_session_deny
from domain.identity_center import AssignmentKey

INSTANCE = "arn:aws:sso:::instance/ssoins-1234567890abcdef"
PS = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-1234567890abcdef"
PS2 = "arn:aws:sso:::permissionSet/ssoins-1234567890abcdef/ps-abcdef1234567890"
KEY = AssignmentKey("111111111111", PS, "user-1")
REQUEST = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
STATUS = {"RequestId": REQUEST, "Status": "IN_PROGRESS"}


@pytest.fixture
def sso():
    client = boto3.client("sso-admin", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x", endpoint_url="https://sso.invalid")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


class Clock:
    """Records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def creation(stub: Stubber, *statuses: dict) -> None:
    stub.add_response("create_account_assignment",
                      {"AccountAssignmentCreationStatus": statuses[0]})
    for status in statuses[1:]:
        stub.add_response("describe_account_assignment_creation_status",
                          {"AccountAssignmentCreationStatus": status},
                          {"InstanceArn": INSTANCE, "AccountAssignmentCreationRequestId": REQUEST})


def test_an_assignment_in_progress_is_followed_with_growing_waits_until_it_succeeds(sso):
    client, stub = sso
    creation(stub, STATUS, STATUS, STATUS, {**STATUS, "Status": "SUCCEEDED"})
    clock = Clock()
    done = create_assignment(client, INSTANCE, KEY, sleep=clock)
    assert done.status == "SUCCEEDED" and done.request_id == REQUEST
    assert clock.waits == [1.0, 2.0, 4.0]


def test_a_failed_assignment_says_aws_s_reason(sso):
    client, stub = sso
    reason = "Received a 404 status error: Not supported account 111111111111."
    creation(stub, STATUS, {**STATUS, "Status": "FAILED", "FailureReason": reason})
    with pytest.raises(AwsError) as failed:
        create_assignment(client, INSTANCE, KEY, sleep=Clock())
    assert failed.value.code == "Failed"
    assert "Not supported account 111111111111" in failed.value.message
    assert "assigning" in failed.value.message and "user-1" in failed.value.message


def test_following_is_bounded_and_says_it_may_still_finish(sso):
    client, stub = sso
    backoff = Backoff(first=1, factor=2, longest=4, budget=10)
    creation(stub, STATUS, STATUS, STATUS, STATUS)
    clock = Clock()
    with pytest.raises(AwsError) as late:
        create_assignment(client, INSTANCE, KEY, sleep=clock, backoff=backoff)
    assert clock.waits == [1, 2, 4] and sum(clock.waits) <= backoff.budget
    assert late.value.code == "StillInProgress" and REQUEST in late.value.message


def test_throttling_is_put_in_words(sso):
    client, stub = sso
    stub.add_client_error("create_account_assignment", "ThrottlingException", "Rate exceeded")
    with pytest.raises(AwsError) as throttled:
        create_assignment(client, INSTANCE, KEY, sleep=Clock())
    assert "AWS is limiting the request rate; try again in a minute" in throttled.value.message
    assert "CreateAccountAssignment" in throttled.value.message


def test_a_conflict_with_a_running_change_is_waited_out(sso):
    client, stub = sso
    stub.add_client_error("create_account_assignment", "ConflictException",
                          "another operation is in progress")
    creation(stub, {**STATUS, "Status": "SUCCEEDED"})
    clock = Clock()
    assert create_assignment(client, INSTANCE, KEY, sleep=clock).status == "SUCCEEDED"
    assert clock.waits == [1.0]


def test_a_deletion_that_fails_because_the_assignment_is_gone_counts_as_done(sso):
    client, stub = sso
    stub.add_response("delete_account_assignment", {"AccountAssignmentDeletionStatus": STATUS})
    stub.add_response("describe_account_assignment_deletion_status", {
        "AccountAssignmentDeletionStatus": {**STATUS, "Status": "FAILED",
                                            "FailureReason": "assignment not found"}})
    stub.add_response("list_account_assignments", {"AccountAssignments": []})
    assert delete_assignment(client, INSTANCE, KEY, sleep=Clock()) is None


def test_a_deletion_that_fails_while_the_assignment_stays_is_an_error(sso):
    client, stub = sso
    stub.add_response("delete_account_assignment", {"AccountAssignmentDeletionStatus": {
        **STATUS, "Status": "FAILED", "FailureReason": "Internal failure"}})
    stub.add_response("list_account_assignments", {"AccountAssignments": [{
        "AccountId": KEY.account_id, "PermissionSetArn": PS, "PrincipalType": "USER",
        "PrincipalId": KEY.user_id}]})
    with pytest.raises(AwsError, match="AWS failed removing .*: Internal failure"):
        delete_assignment(client, INSTANCE, KEY, sleep=Clock())


def provisioning(stub: Stubber, *statuses: dict) -> None:
    stub.add_response("provision_permission_set", {"PermissionSetProvisioningStatus": statuses[0]},
                      {"InstanceArn": INSTANCE, "PermissionSetArn": PS,
                       "TargetType": "ALL_PROVISIONED_ACCOUNTS"})
    for status in statuses[1:]:
        stub.add_response("describe_permission_set_provisioning_status",
                          {"PermissionSetProvisioningStatus": status},
                          {"InstanceArn": INSTANCE, "ProvisionPermissionSetRequestId": REQUEST})


def test_provisioning_is_followed_until_it_succeeds(sso):
    client, stub = sso
    provisioning(stub, STATUS, STATUS, {**STATUS, "Status": "SUCCEEDED"})
    clock = Clock()
    assert provision(client, INSTANCE, PS, sleep=clock).status == "SUCCEEDED"
    assert clock.waits == [1.0, 2.0]


def test_failed_provisioning_says_aws_s_reason(sso):
    client, stub = sso
    provisioning(stub, STATUS, {**STATUS, "Status": "FAILED",
                                "FailureReason": "The policy is too large for account 2222."})
    expected = "provisioning .*: The policy is too large for account 2222$"
    with pytest.raises(AwsError, match=expected):
        provision(client, INSTANCE, PS, sleep=Clock())


def test_an_undo_already_done_provisions_only_accounts_left_behind(sso):
    client, stub = sso
    stub.add_response("get_inline_policy_for_permission_set", {})
    stub.add_response("list_accounts_for_provisioned_permission_set", {"AccountIds": []}, {
        "InstanceArn": INSTANCE, "PermissionSetArn": PS,
        "ProvisioningStatus": "LATEST_PERMISSION_SET_NOT_PROVISIONED"})
    assert remove_session_deny(client, INSTANCE, PS, "user-1", sleep=Clock())
    stub.add_response("get_inline_policy_for_permission_set", {})
    stub.add_response("list_accounts_for_provisioned_permission_set",
                      {"AccountIds": ["222222222222"]}, {
        "InstanceArn": INSTANCE, "PermissionSetArn": PS,
        "ProvisioningStatus": "LATEST_PERMISSION_SET_NOT_PROVISIONED"})
    provisioning(stub, {**STATUS, "Status": "SUCCEEDED"})
    assert remove_session_deny(client, INSTANCE, PS, "user-1", sleep=Clock())


def test_permission_sets_are_found_on_any_page(sso):
    client, stub = sso
    stub.add_response("list_permission_sets", {"PermissionSets": [PS], "NextToken": "page-2"})
    stub.add_response("list_permission_sets", {"PermissionSets": [PS2]},
                      {"InstanceArn": INSTANCE, "NextToken": "page-2"})
    for arn, name in ((PS, "ReadOnly"), (PS2, "AdministratorAccess")):
        stub.add_response("describe_permission_set", {"PermissionSet": {
            "PermissionSetArn": arn, "Name": name, "SessionDuration": "PT12H"}},
            {"InstanceArn": INSTANCE, "PermissionSetArn": arn})
    found = find_permission_set(client, INSTANCE, "AdministratorAccess")
    assert found and found.arn == PS2 and found.session_seconds == 12 * 3600


def test_an_identity_store_refusal_is_an_error_not_a_missing_user():
    client = boto3.client("identitystore", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x", endpoint_url="https://ids.invalid")
    with Stubber(client) as stub:
        stub.add_client_error("get_user_id", "AccessDeniedException", "no", expected_params={
            "IdentityStoreId": "d-1", "AlternateIdentifier": ANY})
        with pytest.raises(AwsError, match="not allowed"):
            find_user_by_email(client, "d-1", "erin@example.com")
