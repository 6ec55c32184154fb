"""Access rules: requesters, deciders, tickets, max_total, starts, break-glass, who-can."""

from datetime import datetime, time, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.access_explain import explain
from domain.access_policy import (
    AccessPolicy,
    AutoApproval,
    BreakGlass,
    GroupLookup,
    GroupUnreadable,
    Principals,
    Ticket,
    check_break_glass,
    check_decider,
    check_requester,
    check_total,
    deciders,
    find_ticket,
    membership,
    read_groups,
    ticket_link,
    ticket_rule_problems,
    time_left,
)
from domain.oncall import OnCallNow
from domain.policy import PolicyRefusal
from domain.scheduled_start import parse_start, take_start

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)
H = 3600
LOOKUP = GroupLookup(members={"S0ENG": frozenset({"U0ADA", "U0BOB"}),
                              "S0SRE": frozenset({"U0LEAD", "U0ERIN"})},
                     names={"S0ENG": "engineers", "S0SRE": "sre-leads"})


def policy(**rules):
    base = dict(name="prod", max_duration=4 * H, admins=frozenset({"U0ADMIN"}),
                approvers=Principals.of(["S0SRE", "U0CAROL"]))
    return AccessPolicy(**{**base, **rules})


# -- principals and membership -------------------------------------------------------------


def test_principals_split_groups_from_users():
    found = Principals.of(["S0ENG", "U0CONTRACTOR", "W0ENTERPRISE"])
    assert found.groups == {"S0ENG"} and found.users == {"U0CONTRACTOR", "W0ENTERPRISE"}
    assert not Principals.of([])


def test_policy_names_every_group_it_needs():
    rules = policy(requesters=Principals.of(["S0ENG"]),
                   break_glass=BreakGlass(Principals.of(["S0ONCALL"]), H, 2))
    assert rules.groups() == {"S0ENG", "S0SRE", "S0ONCALL"}


def test_membership_says_through_what():
    assert membership(Principals.of(["S0ENG"]), "U0ADA", LOOKUP).via == "S0ENG"
    assert membership(Principals.of(["U0ADA"]), "U0ADA", LOOKUP).via == "U0ADA"
    missing = membership(Principals.of(["S0GONE"]), "U0ADA", LOOKUP)
    assert not missing.member and missing.unread == ("S0GONE",)


def test_read_groups_keeps_what_could_not_be_read_and_why():
    def fetch(group):
        if group == "S0GONE":
            raise GroupUnreadable("no_such_subteam")
        return ["U0ADA", "U0ADA"]

    lookup = read_groups(["S0ENG", "S0GONE", "S0ENG"], fetch, {"S0ENG": "engineers"})
    assert lookup.members == {"S0ENG": frozenset({"U0ADA"})}
    assert lookup.unreadable == {"S0GONE": "no_such_subteam"}
    assert lookup.label("S0ENG") == "@engineers (S0ENG)" and lookup.label("S0GONE") == "S0GONE"


# -- who may request -------------------------------------------------------------------------


def test_anyone_may_request_without_requesters():
    check_requester(policy(), "U0ANYONE", LOOKUP)


def test_group_member_and_named_user_may_request_others_are_refused_in_words():
    rules = policy(requesters=Principals.of(["S0ENG", "U0CONTRACTOR"]))
    check_requester(rules, "U0ADA", LOOKUP)
    check_requester(rules, "U0CONTRACTOR", LOOKUP)
    check_requester(rules, "U0ADMIN", LOOKUP)
    with pytest.raises(PolicyRefusal) as refused:
        check_requester(rules, "U0MALLORY", LOOKUP)
    assert "may not request prod" in str(refused.value)
    assert "members of @engineers (S0ENG), U0CONTRACTOR" in str(refused.value)


def test_an_unreadable_requester_group_fails_closed_and_names_the_group():
    rules = policy(requesters=Principals.of(["S0ENG"]))
    lookup = GroupLookup(unreadable={"S0ENG": "missing_scope"}, names={"S0ENG": "engineers"})
    with pytest.raises(PolicyRefusal) as refused:
        check_requester(rules, "U0ADA", lookup)
    assert "could not read the members of the Slack user group @engineers (S0ENG) " \
           "(missing_scope)" in str(refused.value)


# -- who may decide --------------------------------------------------------------------------


def test_group_approver_named_approver_and_admin_may_decide():
    for user in ("U0LEAD", "U0CAROL", "U0ADMIN"):
        check_decider(policy(), user, "U0ADA", LOOKUP)


def test_a_member_removed_from_the_group_may_no_longer_decide():
    removed = GroupLookup(members={"S0SRE": frozenset({"U0ERIN"})})
    with pytest.raises(PolicyRefusal, match="Only this role's approvers"):
        check_decider(policy(), "U0LEAD", "U0ADA", removed)


def test_self_approval_is_refused_unless_allowed():
    with pytest.raises(PolicyRefusal, match="your own request"):
        check_decider(policy(), "U0LEAD", "U0LEAD", LOOKUP)
    check_decider(policy(allow_self_approval=True), "U0LEAD", "U0LEAD", LOOKUP)


def test_an_unreadable_approver_group_lets_nobody_through_it():
    lookup = GroupLookup(unreadable={"S0SRE": "ratelimited"})
    with pytest.raises(PolicyRefusal) as refused:
        check_decider(policy(), "U0LEAD", "U0ADA", lookup)
    assert "S0SRE (ratelimited)" in str(refused.value) and "nobody may decide" in str(
        refused.value)
    check_decider(policy(), "U0CAROL", "U0ADA", lookup)
    assert deciders(policy(), lookup) == {"U0ADMIN", "U0CAROL"}


def test_deciders_are_admins_named_approvers_and_group_members():
    assert deciders(policy(), LOOKUP) == {"U0ADMIN", "U0CAROL", "U0LEAD", "U0ERIN"}


# -- tickets ---------------------------------------------------------------------------------

TICKETED = dict(require_ticket="^(INC|CHG)-[0-9]+$",
                ticket_url="https://tickets.example.com/browse/{ticket}")


@pytest.mark.parametrize("reason", ["INC-42", "INC-42: disk full", "fix (CHG-7), then go",
                                    "see INC-42."])
def test_an_anchored_ticket_pattern_finds_the_ticket_anywhere_in_the_reason(reason):
    found = find_ticket(policy(**TICKETED), reason)
    assert found is not None and found.key in ("INC-42", "CHG-7")
    assert found.url == f"https://tickets.example.com/browse/{found.key}"


def test_a_reason_without_a_ticket_is_refused_with_the_pattern():
    with pytest.raises(PolicyRefusal) as refused:
        find_ticket(policy(**TICKETED), "the disk is full")
    assert "`^(INC|CHG)-[0-9]+$`" in str(refused.value) and "prod needs a ticket" in str(
        refused.value)


def test_no_ticket_rule_means_no_ticket():
    assert find_ticket(policy(), "anything") is None


def test_ticket_without_url_and_link_rendering():
    found = find_ticket(policy(require_ticket=r"OPS-\d+"), "for OPS-9")
    assert found == Ticket("OPS-9") and found.mrkdwn() == "OPS-9"
    linked = Ticket("INC-1", "https://t.example/INC-1")
    assert linked.mrkdwn() == "<https://t.example/INC-1|INC-1>"


def test_ticket_link_quotes_the_key():
    assert ticket_link("https://t.example/{ticket}", "A B/1") == "https://t.example/A%20B%2F1"
    assert ticket_link(None, "INC-1") is None


def test_ticket_rule_problems_name_the_key():
    assert ticket_rule_problems("^(INC", "https://t.example/x")[0].startswith(
        "require_ticket is not a regular expression")
    assert any("{ticket}" in p for p in ticket_rule_problems(None, "https://t.example/x"))
    assert any("https://" in p for p in ticket_rule_problems(None, "ftp://t/{ticket}"))
    assert ticket_rule_problems(TICKETED["require_ticket"], TICKETED["ticket_url"]) == []


@given(st.from_regex(r"(INC|CHG)-[0-9]{1,6}", fullmatch=True),
       st.text(alphabet=st.characters(whitelist_categories=("Ll", "Zs")), max_size=30))
def test_a_ticket_surrounded_by_words_is_always_found(key, words):
    assert find_ticket(policy(**TICKETED), f"{words} {key} {words}").key == key


# -- max_total -------------------------------------------------------------------------------


def test_time_left_under_max_total():
    assert time_left(policy(), 10 * H) is None
    assert time_left(policy(max_total=8 * H), 6 * H) == 2 * H
    assert time_left(policy(max_total=8 * H), 9 * H) == 0


def test_an_extension_past_max_total_is_refused_with_what_is_left():
    check_total(policy(max_total=8 * H), 6 * H, 2 * H)
    with pytest.raises(PolicyRefusal) as refused:
        check_total(policy(max_total=8 * H), 6 * H, 3 * H)
    assert "2h is left" in str(refused.value) and "8h in total" in str(refused.value)
    with pytest.raises(PolicyRefusal, match="cannot be extended further"):
        check_total(policy(max_total=8 * H), 8 * H, 15 * 60)


@given(st.integers(1, 48), st.lists(st.integers(1, 12 * 4), max_size=12))
def test_grants_that_pass_check_total_never_sum_past_max_total(total_hours, asks):
    rules = policy(max_total=total_hours * H)
    granted = 0
    for quarters in asks:
        try:
            check_total(rules, granted, quarters * 900)
        except PolicyRefusal:
            continue
        granted += quarters * 900
    assert granted <= total_hours * H


# -- scheduled start -------------------------------------------------------------------------


def test_a_start_is_read_in_the_config_timezone():
    start = parse_start("2026-03-03 09:00", "Europe/Berlin", NOW)
    assert start == datetime(2026, 3, 3, 8, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, words", [
    ("2026-03-02 11:59", "in the past"),
    ("2026-03-02 12:00", "in the past"),
    ("2026-03-17 12:01", "too far ahead"),
    ("tomorrow 9am", "write it as YYYY-MM-DD HH:MM"),
    ("2026-02-30 09:00", "not a start time"),
])
def test_bad_starts_are_refused_in_words(text, words):
    with pytest.raises(PolicyRefusal, match=words):
        parse_start(text, "UTC", NOW)


def test_the_horizon_is_configurable_and_a_skipped_local_time_is_refused():
    assert parse_start("2026-03-20 09:00", "UTC", NOW, timedelta(days=30))
    with pytest.raises(PolicyRefusal, match="does not exist in Europe/Berlin"):
        parse_start("2026-03-29 02:30", "Europe/Berlin", NOW)


def test_a_typed_start_is_escaped_in_the_refusal():
    with pytest.raises(PolicyRefusal) as refused:
        parse_start("<!channel> 09:00", "UTC", NOW)
    assert "<!channel>" not in str(refused.value)


def test_take_start_splits_the_start_off_the_reason():
    assert take_start(["INC-1", "disk"], "UTC", NOW) == (None, ["INC-1", "disk"])
    start, rest = take_start(["at", "2026-03-03", "09:00", "INC-1"], "UTC", NOW)
    assert start == datetime(2026, 3, 3, 9, tzinfo=timezone.utc) and rest == ["INC-1"]
    with pytest.raises(PolicyRefusal, match="After `at`"):
        take_start(["at", "2026-03-03"], "UTC", NOW)


@given(st.integers(1, 14 * 24 * 60 - 1))
def test_every_minute_inside_the_horizon_is_accepted_as_written(minutes):
    start = (NOW + timedelta(minutes=minutes)).replace(second=0)
    assert parse_start(start.strftime("%Y-%m-%d %H:%M"), "UTC", NOW) == start


# -- break-glass -----------------------------------------------------------------------------

GLASS = BreakGlass(Principals.of(["S0ENG", "U0CAROL"]), H, 2, "C0SECURITY")


def test_break_glass_within_the_rules_is_allowed():
    check_break_glass(policy(break_glass=GLASS), "U0ADA", H, [NOW - timedelta(days=8)] * 5,
                      NOW, LOOKUP)


@pytest.mark.parametrize("user, seconds, used, words", [
    ("U0MALLORY", H, [], "may not break the glass on prod: only members of @engineers"),
    ("U0ADA", 2 * H, [], "lasts at most 1h"),
    ("U0ADA", H, [NOW - timedelta(days=6), NOW - timedelta(days=1)],
     "2 times in the last 7 days; the limit is 2 a week"),
])
def test_break_glass_refusals(user, seconds, used, words):
    with pytest.raises(PolicyRefusal, match=words):
        check_break_glass(policy(break_glass=GLASS), user, seconds, used, NOW, LOOKUP)


def test_break_glass_over_the_week_says_when_the_next_is_possible():
    used = [NOW - timedelta(days=6), NOW - timedelta(days=1), NOW - timedelta(days=2)]
    with pytest.raises(PolicyRefusal) as refused:
        check_break_glass(policy(break_glass=GLASS), "U0ADA", H, used, NOW, LOOKUP)
    assert "3 times in the last 7 days" in str(refused.value)
    assert "after 2026-03-07 12:00 UTC" in str(refused.value)  # when the two older drop out


def test_break_glass_without_a_rule_or_with_an_unreadable_group_is_refused():
    with pytest.raises(PolicyRefusal, match="has no break-glass"):
        check_break_glass(policy(), "U0ADA", H, [], NOW, LOOKUP)
    lookup = GroupLookup(unreadable={"S0ENG": "no_such_subteam"})
    with pytest.raises(PolicyRefusal, match=r"S0ENG \(no_such_subteam\)"):
        check_break_glass(policy(break_glass=GLASS), "U0ADA", H, [], NOW, lookup)
    check_break_glass(policy(break_glass=GLASS), "U0CAROL", H, [], NOW, lookup)
    with pytest.raises(PolicyRefusal, match="0 times a week"):
        check_break_glass(policy(break_glass=BreakGlass(Principals.of(["U0ADA"]), H, 0)),
                          "U0ADA", H, [], NOW, LOOKUP)


@given(st.integers(1, 5), st.lists(st.integers(0, 20 * 24), max_size=10))
def test_break_glass_is_allowed_exactly_when_fewer_than_max_per_week_in_the_last_7_days(
        per_week, hours_ago):
    used = [NOW - timedelta(hours=h) for h in hours_ago]
    rules = policy(break_glass=BreakGlass(Principals.of(["U0ADA"]), H, per_week))
    recent = sum(1 for h in hours_ago if h < 7 * 24)
    try:
        check_break_glass(rules, "U0ADA", H, used, NOW, LOOKUP)
        allowed = True
    except PolicyRefusal:
        allowed = False
    assert allowed == (recent < per_week)


# -- explain ---------------------------------------------------------------------------------

FULL = policy(
    description="Admin access to production",
    requesters=Principals.of(["S0ENG", "U0CONTRACTOR"]), approvals_required=2,
    auto_approve=AutoApproval(on_call=("PABC123",)), max_total=8 * H,
    break_glass=GLASS, hours=(time(8), time(20)), timezone="Europe/Berlin", **TICKETED)


def test_explain_every_kind_of_rule():
    text = explain(FULL, LOOKUP, {"U0ADA": "Ada", "U0LEAD": "Lee"})
    assert text.splitlines() == [
        "Who can do what with *prod*: Admin access to production",
        "• Who may request: @engineers (S0ENG): Ada (U0ADA), U0BOB; U0CONTRACTOR; "
        "and Gatehouse admins (U0ADMIN)",
        "• Who approves: @sre-leads (S0SRE): U0ERIN, Lee (U0LEAD); U0CAROL; "
        "and Gatehouse admins (U0ADMIN)",
        "• Approvals needed: 2 distinct approvers",
        "• Self-approval: not allowed: a requester cannot approve their own request",
        "• Auto-approval: approved without a human when the requester (matched by Slack "
        "e-mail) is on call now in PagerDuty schedule PABC123; otherwise, or when PagerDuty "
        "cannot be reached, the approvers decide",
        "• Break-glass: @engineers (S0ENG): Ada (U0ADA), U0BOB; U0CAROL may use "
        "`/access breakglass prod <duration> <reason>` for up to 1h, at most 2 a week each; "
        "granted at once, announced in the approval channel and C0SECURITY, and reviewed "
        "afterwards by the approvers",
        "• Hours: granted only between 08:00 and 20:00 (Europe/Berlin); a grant ends at 20:00 "
        "at the latest",
        "• Limits: up to 4h a grant; 8h in total with extensions (max_total)",
        "• Ticket: the reason must contain a ticket matching `^(INC|CHG)-[0-9]+$`, linked as "
        "https://tickets.example.com/browse/{ticket}",
    ]


def test_explain_the_defaults():
    text = explain(AccessPolicy(name="dev", max_duration=H), GroupLookup())
    assert "• Who may request: anyone in the workspace" in text
    assert "• Who approves: nobody" in text
    assert "• Approvals needed: 1 approver" in text
    assert "• Auto-approval: none: every request goes to the approvers" in text
    assert "• Break-glass: not available" in text
    assert "• Hours: any time" in text
    assert "• Limits: up to 1h a grant" in text
    assert "• Ticket: none needed" in text


def test_explain_always_auto_approved_self_approval_and_unreadable_groups():
    rules = policy(auto_approve=AutoApproval(always=True), allow_self_approval=True,
                   approvers=Principals.of(["S0SRE", "S0EMPTY"]))
    lookup = GroupLookup(members={"S0EMPTY": frozenset()}, unreadable={"S0SRE": "missing_scope"})
    text = explain(rules, lookup)
    assert "every request is approved without a human (still audited)" in text
    assert "Self-approval: allowed" in text
    assert "S0SRE: its members could not be read (missing_scope), so nobody counts" in text
    assert "S0EMPTY: no members" in text


def test_explain_names_several_on_call_schedules():
    text = explain(policy(auto_approve=AutoApproval(on_call=("PA", "PB"))), LOOKUP)
    assert "PagerDuty schedules PA, PB" in text


def test_on_call_words_name_the_schedule():
    assert OnCallNow("PABC", "Primary").words() == "Primary (PABC)"
    assert OnCallNow("PABC").words() == "PABC"
