"""Console sign-in links for grant credentials, through the AWS federation endpoint."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws.errors import AwsError
from aws.sts import MAX_DURATION_SECONDS, MIN_DURATION_SECONDS, GrantCredentials

FEDERATION_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class HttpResponse:
    """The part of an HTTP response the federation flow reads (a subset of requests.Response)."""

    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


def urllib_get(url: str, *, params: dict[str, str], timeout: float) -> HttpResponse:
    """GET with the standard library, called like `requests.get` (not a runtime need)."""
    full_url = f"{url}?{urllib.parse.urlencode(params)}"
    try:
        with urllib.request.urlopen(full_url, timeout=timeout) as response:
            return HttpResponse(response.status, response.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        return HttpResponse(error.code, error.read().decode("utf-8", "replace"))


def console_signin_url(
    credentials: GrantCredentials,
    *,
    federation_url: str,
    issuer: str,
    destination: str = "https://console.aws.amazon.com/",
    session_seconds: int,
    http_get: Callable[..., Any] = urllib_get,
) -> str:
    """A one-click console link for the grant. The link is a secret: never log or store it."""
    if not MIN_DURATION_SECONDS <= session_seconds <= MAX_DURATION_SECONDS:
        raise AwsError(
            f"A console session lasts 15 minutes to 12 hours, not {session_seconds} seconds",
            "ValidationError",
        )
    token = _signin_token(credentials, federation_url, session_seconds, http_get)
    login = {"Action": "login", "Issuer": issuer, "Destination": destination, "SigninToken": token}
    return f"{federation_url}?{urllib.parse.urlencode(login)}"


def _signin_token(
    credentials: GrantCredentials,
    federation_url: str,
    session_seconds: int,
    http_get: Callable[..., Any],
) -> str:
    session = {
        "sessionId": credentials.access_key_id,
        "sessionKey": credentials.secret_access_key,
        "sessionToken": credentials.session_token,
    }
    params = {
        "Action": "getSigninToken",
        "SessionDuration": str(session_seconds),
        "Session": json.dumps(session),
    }
    token, why, code = _ask_for_token(http_get, federation_url, params)
    if token is None:
        # Raised outside any `except`: no cause or context that could hold the session remains.
        raise AwsError(f"The AWS federation endpoint {why}, so no console link was made", code)
    return token


def _ask_for_token(
    http_get: Callable[..., Any], url: str, params: dict[str, str]
) -> tuple[str | None, str, str]:
    """(token, "", "") or (None, why, code). The request's URL, and so any error about it,
    holds the session credentials: no exception, and none of its text, leaves here."""
    try:
        response = http_get(url, params=params, timeout=FEDERATION_TIMEOUT_SECONDS)
    except Exception as error:  # noqa: BLE001 - every failure becomes words without the secret
        return (None, *_failure_words(error))
    try:
        status = int(response.status_code)
        token = response.json()["SigninToken"] if status == 200 else None
    except Exception:  # noqa: BLE001 - a malformed answer may echo the request
        return None, "answered without a sign-in token", "FederationFailed"
    if status != 200:
        return None, f"refused to issue a sign-in token (HTTP {status})", "FederationFailed"
    if not isinstance(token, str) or not token:
        return None, "answered without a sign-in token", "FederationFailed"
    return token, "", ""


def _failure_words(error: Exception) -> tuple[str, str]:
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, TimeoutError):
        return "did not answer in time", "Timeout"
    if isinstance(reason, OSError):
        return "could not be reached", "Unreachable"
    if isinstance(reason, ValueError):
        return "has an unusable URL (check GATEHOUSE_FEDERATION_URL)", "InvalidFederationUrl"
    return f"failed ({type(error).__name__})", "FederationFailed"
