"""Log redaction of every spelling of a secret; the federation URL must keep secrets on TLS."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from config import environment_problems, federation_url_problems, load_environment
from logs import redact

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "FwoGZXIvYXdzEJr//////////wEaDM+abc/def+ghi==" * 3
SIGNIN = "a-b_c" * 10
SESSION = json.dumps({"sessionId": "ASIAEXAMPLE", "sessionKey": SECRET_KEY,
                      "sessionToken": TOKEN})

FORMS = {
    "as is": SESSION,
    "JSON-escaped": json.dumps({"error": SESSION}),
    "JSON-escaped twice": json.dumps(json.dumps({"error": SESSION})),
    "URL-encoded": urllib.parse.urlencode({"Session": SESSION}),
    "percent-encoded": urllib.parse.quote(SESSION, safe=""),
    "percent-encoded twice": urllib.parse.quote(urllib.parse.quote(SESSION, safe=""), safe=""),
    "shell": f"export AWS_SECRET_ACCESS_KEY={SECRET_KEY}\nexport AWS_SESSION_TOKEN={TOKEN}",
    "boto": repr({"SecretAccessKey": SECRET_KEY, "SessionToken": TOKEN}),
    "sign-in link": f"https://signin.aws.amazon.com/federation?Action=login&SigninToken={SIGNIN}",
    "sign-in JSON": json.dumps({"SigninToken": SIGNIN}),
}


def spellings(secret: str) -> set[str]:
    return {secret, urllib.parse.quote(secret, safe=""), urllib.parse.quote_plus(secret),
            json.dumps(secret)[1:-1]}


@pytest.mark.parametrize("form", FORMS)
def test_redaction_masks_every_spelling(form):
    masked = redact(FORMS[form])
    leaks = [s for secret in (SECRET_KEY, TOKEN, SIGNIN) for s in spellings(secret)
             if s in masked]
    assert leaks == [] and "[redacted]" in masked


@pytest.mark.parametrize("url", ["https://signin.aws.amazon.com/federation",
                                 "http://127.0.0.1:8080/federation", "http://localhost/f",
                                 "http://[::1]:9000/federation"])
def test_https_or_loopback_federation_urls_are_accepted(url):
    assert federation_url_problems(url) == []


@pytest.mark.parametrize("url", ["signin.aws.amazon.com/federation",
                                 "http://signin.aws.amazon.com/federation", "ftp://x/f",
                                 "https://", "http://[::1", ""])
def test_other_federation_urls_are_a_problem_naming_the_variable(url):
    env = load_environment({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
                            "GATEHOUSE_FEDERATION_URL": url})
    [problem] = environment_problems(env)
    assert problem.startswith("GATEHOUSE_FEDERATION_URL: must be an https:// URL")
