"""Identity Center on moto: users by e-mail, permission sets, assignments counted by grant, and
the session deny that ends a user's open sessions without touching anyone else's."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from aws.errors import AwsError
from aws.identity_center import (
    assignment_exists,
    create_assignment,
    delete_assignment,
    find_permission_set,
    find_user_by_email,
    list_assignments,
)
from aws.identity_center_revoke import (
    INLINE_POLICY_LIMIT,
    deny_sid,
    provisioned_accounts,
    put_session_deny,
    remove_session_deny,
)
from domain.identity_center import (
    AssignmentClaims,
    AssignmentKey,
    after_deletion,
    end_grant,
    standing_user_assignments,
    start_grant,
)

PROD, DEV = "111111111111", "222222222222"
T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
OTHER_STATEMENT = {"Sid": "ReadBuckets", "Effect": "Allow", "Action": "s3:GetObject",
                   "Resource": "arn:aws:s3:::reports/*"}


@dataclass
class Center:
    sso: object
    ids: object
    instance_arn: str
    store_id: str
    admin_arn: str
    readonly_arn: str
    erin: str
    frank: str


def make_user(ids, store_id: str, name: str, email: str) -> str:
    return ids.create_user(IdentityStoreId=store_id, UserName=name, DisplayName=name.title(),
                           Name={"GivenName": name.title(), "FamilyName": "Example"},
                           Emails=[{"Value": email, "Type": "work", "Primary": True}])["UserId"]


def make_permission_set(sso, instance_arn: str, name: str, duration: str) -> str:
    return sso.create_permission_set(InstanceArn=instance_arn, Name=name,
                                     SessionDuration=duration)["PermissionSet"]["PermissionSetArn"]


@pytest.fixture
def center(aws) -> Center:
    sso, ids = aws.client("sso-admin"), aws.client("identitystore")
    instance = sso.list_instances()["Instances"][0]
    store_id = instance["IdentityStoreId"]
    return Center(
        sso=sso, ids=ids, instance_arn=instance["InstanceArn"], store_id=store_id,
        admin_arn=make_permission_set(sso, instance["InstanceArn"], "AdministratorAccess", "PT2H"),
        readonly_arn=make_permission_set(sso, instance["InstanceArn"], "ReadOnly", "PT8H"),
        erin=make_user(ids, store_id, "erin", "erin@example.com"),
        frank=make_user(ids, store_id, "frank", "Frank@Example.com"),
    )


def no_sleep(seconds: float) -> None:
    raise AssertionError(f"moto finishes at once; nothing should wait ({seconds} s)")


def inline_policy(center: Center, arn: str) -> dict | None:
    text = center.sso.get_inline_policy_for_permission_set(
        InstanceArn=center.instance_arn, PermissionSetArn=arn).get("InlinePolicy")
    return json.loads(text) if text else None


# --- users and permission sets -----------------------------------------------------------------


def test_a_user_is_found_by_e_mail_whatever_its_case(center):
    erin = find_user_by_email(center.ids, center.store_id, "erin@example.com")
    frank = find_user_by_email(center.ids, center.store_id, "Frank@Example.com")
    assert erin and erin.user_id == center.erin and erin.display_name == "Erin"
    assert frank and frank.user_id == center.frank and frank.user_name == "frank"
    shouted = find_user_by_email(center.ids, center.store_id, "ERIN@example.com")
    assert shouted and shouted.user_id == center.erin


def test_a_user_missing_from_the_identity_store_is_none_not_an_error(center):
    assert find_user_by_email(center.ids, center.store_id, "mallory@example.com") is None


def test_a_permission_set_is_found_by_name_or_arn_with_its_session_length(center):
    by_name = find_permission_set(center.sso, center.instance_arn, "AdministratorAccess")
    by_arn = find_permission_set(center.sso, center.instance_arn, center.readonly_arn)
    assert by_name and by_name.arn == center.admin_arn and by_name.session_seconds == 7200
    assert by_arn and by_arn.name == "ReadOnly" and by_arn.session_seconds == 8 * 3600


def test_an_unknown_permission_set_is_none(center):
    assert find_permission_set(center.sso, center.instance_arn, "PowerUser") is None
    missing = center.admin_arn.rsplit("/", 1)[0] + "/ps-0000000000000000"
    assert find_permission_set(center.sso, center.instance_arn, missing) is None


# --- assignments -------------------------------------------------------------------------------


def test_an_assignment_is_created_for_that_user_account_and_set_then_deleted(center):
    key = AssignmentKey(PROD, center.admin_arn, center.erin)
    done = create_assignment(center.sso, center.instance_arn, key, sleep=no_sleep)
    assert done.status == "SUCCEEDED" and done.request_id
    assert assignment_exists(center.sso, center.instance_arn, key)
    assert not assignment_exists(center.sso, center.instance_arn,
                                 AssignmentKey(DEV, center.admin_arn, center.erin))
    assert delete_assignment(center.sso, center.instance_arn, key, sleep=no_sleep)
    assert not assignment_exists(center.sso, center.instance_arn, key)
    assert delete_assignment(center.sso, center.instance_arn, key, sleep=no_sleep) is None


def test_standing_assignments_are_the_users_gatehouse_does_not_hold(center):
    ours = AssignmentKey(PROD, center.admin_arn, center.erin)
    theirs = AssignmentKey(PROD, center.admin_arn, center.frank)
    for key in (ours, theirs):
        create_assignment(center.sso, center.instance_arn, key, sleep=no_sleep)
    center.sso.create_account_assignment(
        InstanceArn=center.instance_arn, TargetId=PROD, TargetType="AWS_ACCOUNT",
        PermissionSetArn=center.admin_arn, PrincipalType="GROUP", PrincipalId="group-1")
    found = list_assignments(center.sso, center.instance_arn, PROD, center.admin_arn)
    assert len(found) == 3
    assert standing_user_assignments(found, tracked=[ours]) == [theirs]


class GrantDriver:
    """The reference-counting rule run against moto, as the grant and expiry use cases will."""

    def __init__(self, center: Center, key: AssignmentKey) -> None:
        self.center, self.key = center, key
        self.claims: AssignmentClaims | None = None

    def exists(self) -> bool:
        return assignment_exists(self.center.sso, self.center.instance_arn, self.key)

    def start(self, grant_id: int) -> None:
        step = start_grant(self.claims, self.key, grant_id, assignment_exists=self.exists())
        self.claims = step.claims
        if step.create:
            create_assignment(self.center.sso, self.center.instance_arn, self.key, sleep=no_sleep)

    def end(self, grant_id: int) -> None:
        step = end_grant(self.claims, grant_id)
        self.claims = step.claims
        if step.delete and self.claims and self.claims.may_delete():
            delete_assignment(self.center.sso, self.center.instance_arn, self.key, sleep=no_sleep)
            settled = after_deletion(self.claims)
            self.claims = settled.claims if settled else None


def test_two_overlapping_grants_keep_the_assignment_until_the_last_ends(center):
    driver = GrantDriver(center, AssignmentKey(PROD, center.admin_arn, center.erin))
    driver.start(1)
    driver.start(2)
    driver.end(1)
    assert driver.exists()
    driver.end(2)
    assert not driver.exists() and driver.claims is None


def test_a_standing_assignment_is_never_removed(center):
    key = AssignmentKey(PROD, center.admin_arn, center.frank)
    create_assignment(center.sso, center.instance_arn, key, sleep=no_sleep)  # made by an admin
    driver = GrantDriver(center, key)
    driver.start(1)
    driver.end(1)
    driver.end(1)
    assert driver.exists()
    assert len(list_assignments(center.sso, center.instance_arn, PROD, center.admin_arn)) == 1


# --- ending open sessions ----------------------------------------------------------------------


def put_other_statement(center: Center) -> None:
    policy = {"Version": "2012-10-17", "Statement": [OTHER_STATEMENT]}
    center.sso.put_inline_policy_to_permission_set(
        InstanceArn=center.instance_arn, PermissionSetArn=center.admin_arn,
        InlinePolicy=json.dumps(policy))


def test_revoke_denies_that_user_before_the_cut_off_and_re_provisions(center):
    put_other_statement(center)
    deny = put_session_deny(center.sso, center.instance_arn, center.admin_arn, center.erin,
                            T0 + timedelta(microseconds=5), sleep=no_sleep)
    assert deny.issued_before == T0 + timedelta(seconds=1)
    statements = inline_policy(center, center.admin_arn)["Statement"]
    assert statements[0] == OTHER_STATEMENT
    assert statements[1] == {
        "Sid": deny_sid(center.erin), "Effect": "Deny", "Action": "*", "Resource": "*",
        "Condition": {"StringEquals": {"identitystore:UserId": center.erin},
                      "DateLessThan": {"aws:TokenIssueTime": "2024-05-01T12:00:01Z"}}}
    assert provisioned_accounts(center.sso, center.instance_arn, center.admin_arn)
    assert deny.lift_at(7200) > T0 + timedelta(hours=2)


def test_a_later_revoke_keeps_the_later_cut_off_and_users_stay_apart(center):
    put_session_deny(center.sso, center.instance_arn, center.admin_arn, center.erin,
                     T0 + timedelta(hours=1), sleep=no_sleep)
    kept = put_session_deny(center.sso, center.instance_arn, center.admin_arn, center.erin,
                            T0, sleep=no_sleep)
    put_session_deny(center.sso, center.instance_arn, center.admin_arn, center.frank, T0,
                     sleep=no_sleep)
    assert kept.issued_before == T0 + timedelta(hours=1)
    sids = [s["Sid"] for s in inline_policy(center, center.admin_arn)["Statement"]]
    assert sids == [deny_sid(center.erin), deny_sid(center.frank)]


def test_the_undo_removes_exactly_that_statement(center):
    put_other_statement(center)
    for user in (center.erin, center.frank):
        put_session_deny(center.sso, center.instance_arn, center.admin_arn, user, T0,
                         sleep=no_sleep)
    assert remove_session_deny(center.sso, center.instance_arn, center.admin_arn, center.erin,
                               T0, sleep=no_sleep)
    statements = inline_policy(center, center.admin_arn)["Statement"]
    assert statements == [OTHER_STATEMENT, statements[1]]
    assert statements[1]["Sid"] == deny_sid(center.frank)
    assert remove_session_deny(center.sso, center.instance_arn, center.admin_arn, center.erin,
                               T0, sleep=no_sleep)  # a rerun is harmless


def test_the_undo_of_the_only_statement_deletes_the_inline_policy(center):
    put_session_deny(center.sso, center.instance_arn, center.readonly_arn, center.erin, T0,
                     sleep=no_sleep)
    remove_session_deny(center.sso, center.instance_arn, center.readonly_arn, center.erin,
                        sleep=no_sleep)
    assert inline_policy(center, center.readonly_arn) is None


def test_an_undo_for_an_older_cut_off_leaves_a_later_revoke_in_place(center):
    put_session_deny(center.sso, center.instance_arn, center.admin_arn, center.erin,
                     T0 + timedelta(hours=1), sleep=no_sleep)
    assert not remove_session_deny(center.sso, center.instance_arn, center.admin_arn,
                                   center.erin, T0, sleep=no_sleep)
    assert inline_policy(center, center.admin_arn)["Statement"][0]["Sid"] == deny_sid(center.erin)


def test_a_full_inline_policy_is_refused_in_words_and_left_unchanged(center):
    filler = [{**OTHER_STATEMENT, "Sid": f"S{n}", "Resource": f"arn:aws:s3:::{'b' * 200}{n}/*"}
              for n in range(110)]
    short = len(json.dumps({"Version": "2012-10-17", "Statement": filler}, separators=(",", ":")))
    pad = "b" * (200 + INLINE_POLICY_LIMIT - 100 - short)  # room for 100 more characters
    filler[0] = {**filler[0], "Resource": f"arn:aws:s3:::{pad}0/*"}
    original = json.dumps({"Version": "2012-10-17", "Statement": filler}, separators=(",", ":"))
    assert len(original) == INLINE_POLICY_LIMIT - 100
    center.sso.put_inline_policy_to_permission_set(
        InstanceArn=center.instance_arn, PermissionSetArn=center.admin_arn, InlinePolicy=original)
    with pytest.raises(AwsError) as refused:
        put_session_deny(center.sso, center.instance_arn, center.admin_arn, center.erin, T0,
                         sleep=no_sleep)
    assert refused.value.code == "LimitExceeded"
    assert "32,768" in refused.value.message
    assert inline_policy(center, center.admin_arn)["Statement"] == filler
