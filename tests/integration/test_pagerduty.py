"""The PagerDuty client against the local stand-in: on call, not, and every way it can fail."""

import logging

import pytest

from domain.oncall import NotOnCall, OnCallNow, OnCallUnknown
from fake_services.fake_pagerduty import FakePagerDuty
from oncall.pagerduty import DEFAULT_URL, PAGE_SIZE, PagerDuty

TOKEN = "pd-secret-token-1234"


@pytest.fixture(scope="module")
def server():
    with FakePagerDuty(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def pd(server):
    server.reset()
    server.add_schedule("PPRIMARY", "Primary")
    server.add_schedule("PSECOND", "Secondary")
    server.add_user("PU1", "Erin", "erin@example.com")
    server.add_user("PU2", "Bob", "bob@example.com")
    server.put_on_call("PPRIMARY", "PU1")
    server.put_on_call("PSECOND", "PU2")
    return server


def client(fake, **options):
    return PagerDuty(TOKEN, fake.url, **options)


def test_the_person_on_call_is_found_by_email_in_the_schedule(pd):
    answer = client(pd).on_call("Erin@Example.com", ["PPRIMARY"])
    assert answer == OnCallNow("PPRIMARY", "Primary")
    [call] = pd.calls("/oncalls")
    assert call.authorized
    assert ("schedule_ids[]", "PPRIMARY") in call.query
    assert ("time_zone", "UTC") in call.query and ("earliest", "true") in call.query


def test_on_call_in_another_schedule_only_is_not_on_call(pd):
    assert client(pd).on_call("bob@example.com", ["PPRIMARY"]) == NotOnCall(("PPRIMARY",))
    assert client(pd).on_call("bob@example.com", ["PPRIMARY", "PSECOND"]) == OnCallNow(
        "PSECOND", "Secondary")


def test_nobody_on_call_and_no_schedule(pd):
    pd.clear_on_call()
    assert client(pd).on_call("erin@example.com", ["PPRIMARY"]) == NotOnCall(("PPRIMARY",))
    assert client(pd).on_call("erin@example.com", []) == NotOnCall(())
    assert len(pd.calls()) == 1


def test_pages_are_followed(pd):
    for n in range(PAGE_SIZE + 5):
        pd.add_user(f"PX{n}", f"Person {n}", f"p{n}@example.com")
        pd.put_on_call("PPRIMARY", f"PX{n}")
    pd.put_on_call("PPRIMARY", "PU2")
    assert client(pd).on_call("bob@example.com", ["PPRIMARY"]) == OnCallNow(
        "PPRIMARY", "Primary")
    offsets = [dict(c.query)["offset"] for c in pd.calls("/oncalls")]
    assert offsets == ["0", str(PAGE_SIZE)]


def test_pages_are_bounded(pd):
    for n in range(3 * PAGE_SIZE):
        pd.add_user(f"PX{n}", f"Person {n}", f"p{n}@example.com")
        pd.put_on_call("PPRIMARY", f"PX{n}")
    answer = client(pd, max_pages=2).on_call("nobody@example.com", ["PPRIMARY"])
    assert answer == OnCallUnknown("PagerDuty had more than 2 pages of on-calls")


def test_a_missing_email_is_read_from_the_user(pd):
    pd.behave(embed_users=False)
    assert client(pd).on_call("bob@example.com", ["PSECOND"]) == OnCallNow(
        "PSECOND", "Secondary")
    assert [c.path for c in pd.calls("/users/")] == ["/users/PU2"]


def test_user_lookups_are_bounded(pd):
    pd.behave(embed_users=False)
    answer = client(pd, max_user_lookups=1).on_call("bob@example.com", ["PPRIMARY", "PSECOND"])
    assert isinstance(answer, OnCallUnknown)
    assert "did not give the e-mail of everyone on call" in answer.reason
    assert len(pd.calls("/users/")) == 1


@pytest.mark.parametrize("status, words", [
    (500, "PagerDuty answered HTTP 500"),
    (429, "PagerDuty is rate limiting Gatehouse (HTTP 429)"),
])
def test_a_failing_pagerduty_is_unknown_with_the_reason(pd, status, words):
    pd.behave(status=status)
    assert client(pd).on_call("erin@example.com", ["PPRIMARY"]) == OnCallUnknown(words)


def test_a_wrong_token_is_refused_without_showing_it(pd, caplog):
    caplog.set_level(logging.DEBUG)
    answer = PagerDuty("wrong-token-5678", pd.url).on_call("erin@example.com", ["PPRIMARY"])
    assert answer == OnCallUnknown("PagerDuty refused Gatehouse's API token (HTTP 401)")
    assert "wrong-token-5678" not in caplog.text and "wrong-token-5678" not in repr(answer)


def test_a_slow_answer_within_the_bound_is_used(pd):
    pd.behave(delay=0.2)
    assert client(pd, timeout=5).on_call("erin@example.com", ["PPRIMARY"]) == OnCallNow(
        "PPRIMARY", "Primary")


def test_a_hanging_pagerduty_times_out_within_the_bound(pd):
    pd.behave(hang=True)
    answer = client(pd, timeout=0.3).on_call("erin@example.com", ["PPRIMARY"])
    assert answer == OnCallUnknown("PagerDuty did not answer within 0.3s")


def test_an_exhausted_budget_stops_before_the_next_call(pd):
    ticks = iter([0.0, 0.0, 10.0])
    answer = client(pd, timeout=5, clock=lambda: next(ticks)).on_call(
        "bob@example.com", ["PPRIMARY", "PSECOND"])
    assert answer == OnCallNow("PSECOND", "Secondary")
    pd.behave(embed_users=False)
    ticks = iter([0.0, 0.0, 10.0])
    answer = client(pd, timeout=5, clock=lambda: next(ticks)).on_call("bob@example.com",
                                                                       ["PSECOND"])
    assert answer == OnCallUnknown("PagerDuty did not answer within 5s")


def test_an_unreachable_pagerduty_is_unknown():
    answer = PagerDuty(TOKEN, "http://127.0.0.1:9", timeout=2).on_call("a@example.com", ["P1"])
    assert isinstance(answer, OnCallUnknown)
    assert answer.reason.startswith("PagerDuty could not be reached")


def test_the_token_is_never_in_a_reason_log_or_repr(pd, caplog):
    caplog.set_level(logging.DEBUG)
    pd.behave(status=503)
    pd_client = client(pd)
    answer = pd_client.on_call("erin@example.com", ["PPRIMARY"])
    assert TOKEN not in repr(pd_client) and TOKEN not in answer.reason
    assert TOKEN not in caplog.text


def test_the_client_is_built_from_the_environment():
    assert PagerDuty.from_environment({}) is None
    built = PagerDuty.from_environment({"PAGERDUTY_API_TOKEN": "t"})
    assert built is not None and built.base_url == DEFAULT_URL
    local = PagerDuty.from_environment({"PAGERDUTY_API_TOKEN": "t",
                                        "PAGERDUTY_API_URL": "http://127.0.0.1:1/"}, timeout=2)
    assert local.base_url == "http://127.0.0.1:1" and local.timeout == 2
