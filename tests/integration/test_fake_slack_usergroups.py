"""The fake Slack's user groups through slack_sdk's WebClient: list, members, removal, errors."""

import pytest
from slack_sdk.errors import SlackApiError


def test_members_of_a_group(web, fake):
    fake.add_usergroup("S0SRE", ["U0LEAD", "U0ERIN"], handle="sre-leads", name="SRE leads")
    assert web.usergroups_users_list(usergroup="S0SRE")["users"] == ["U0LEAD", "U0ERIN"]
    [call] = fake.calls("usergroups.users.list")
    assert call.params["usergroup"] == "S0SRE" and call.error is None


def test_a_member_removed_a_moment_ago_is_gone_at_the_next_read(web, fake):
    fake.add_usergroup("S0SRE", ["U0LEAD", "U0ERIN"])
    fake.add_usergroup("S0SRE", ["U0ERIN"])
    assert web.usergroups_users_list(usergroup="S0SRE")["users"] == ["U0ERIN"]


def test_an_unknown_group_is_no_such_subteam(web, fake):
    with pytest.raises(SlackApiError) as failed:
        web.usergroups_users_list(usergroup="S0NOPE")
    assert failed.value.response["ok"] is False
    assert failed.value.response["error"] == "no_such_subteam"
    assert fake.calls("usergroups.users.list")[0].error == "no_such_subteam"


def test_a_missing_group_parameter_is_no_such_subteam(fake):
    assert fake.api.call("usergroups.users.list", {}, "xoxb-test") == {
        "ok": False, "error": "no_such_subteam"}


def test_list_names_groups_with_handles_and_optional_users_and_counts(web, fake):
    fake.add_usergroup("S0SRE", ["U0LEAD", "U0ERIN"], handle="sre-leads", name="SRE leads")
    fake.add_usergroup("S0ENG", ["U0ADA"])
    groups = {g["id"]: g for g in web.usergroups_list()["usergroups"]}
    assert groups["S0SRE"]["handle"] == "sre-leads" and groups["S0SRE"]["name"] == "SRE leads"
    assert groups["S0ENG"]["handle"] == "s0eng" and groups["S0ENG"]["is_usergroup"] is True
    assert "users" not in groups["S0SRE"] and "user_count" not in groups["S0SRE"]
    full = {g["id"]: g for g in web.usergroups_list(include_users=True,
                                                    include_count=True)["usergroups"]}
    assert full["S0SRE"]["users"] == ["U0LEAD", "U0ERIN"] and full["S0SRE"]["user_count"] == 2


def test_replacing_members_keeps_the_handle(web, fake):
    fake.add_usergroup("S0SRE", ["U0LEAD"], handle="sre-leads")
    fake.add_usergroup("S0SRE", ["U0ERIN"])
    [group] = [g for g in web.usergroups_list(include_users=True)["usergroups"]
               if g["id"] == "S0SRE"]
    assert group["handle"] == "sre-leads" and group["users"] == ["U0ERIN"]


def test_a_disabled_group_is_listed_and_read_only_on_demand(web, fake):
    fake.add_usergroup("S0OLD", ["U0ADA"], handle="old-team")
    fake.workspace.usergroups.set_disabled("S0OLD")
    ids = [g["id"] for g in web.usergroups_list()["usergroups"]]
    assert "S0OLD" not in ids
    [old] = [g for g in web.usergroups_list(include_disabled=True)["usergroups"]
             if g["id"] == "S0OLD"]
    assert old["date_delete"] > 0
    with pytest.raises(SlackApiError, match="no_such_subteam"):
        web.usergroups_users_list(usergroup="S0OLD")
    assert web.usergroups_users_list(usergroup="S0OLD", include_disabled=True)["users"] == [
        "U0ADA"]


def test_a_group_read_can_be_made_to_fail(web, fake):
    fake.add_usergroup("S0SRE", ["U0LEAD"])
    fake.fail_next("usergroups.users.list", error="missing_scope")
    with pytest.raises(SlackApiError, match="missing_scope"):
        web.usergroups_users_list(usergroup="S0SRE")
    assert web.usergroups_users_list(usergroup="S0SRE")["users"] == ["U0LEAD"]
