"""PagerDuty REST API edge: is the person with this e-mail on call now in one of these schedules?"""

from __future__ import annotations

import http.client
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from domain.oncall import NotOnCall, OnCallAnswer, OnCallNow, OnCallUnknown

DEFAULT_URL = "https://api.pagerduty.com"
PAGE_SIZE = 100
log = logging.getLogger("gatehouse.oncall")


class _Unanswered(Exception):
    """PagerDuty gave no usable answer; the message says why, with no secret in it."""


class PagerDuty:
    """Reads `/oncalls` (and `/users/{id}` when an entry lacks the e-mail) with token auth.

    Every call of `on_call` finishes within `timeout` seconds in all, reads at most
    `max_pages` pages and `max_user_lookups` users, and answers with our own dataclasses.
    """

    def __init__(self, token: str, base_url: str = DEFAULT_URL, *, timeout: float = 5.0,
                 max_pages: int = 10, max_user_lookups: int = 20,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._token = token
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_pages = max_pages
        self.max_user_lookups = max_user_lookups
        self._clock = clock

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], **options: Any) -> PagerDuty | None:
        """A client from `PAGERDUTY_API_TOKEN` and `PAGERDUTY_API_URL`; None without a token."""
        token = environ.get("PAGERDUTY_API_TOKEN", "").strip()
        if not token:
            return None
        return cls(token, environ.get("PAGERDUTY_API_URL") or DEFAULT_URL, **options)

    def __repr__(self) -> str:
        return f"PagerDuty(base_url={self.base_url!r}, timeout={self.timeout})"

    def on_call(self, email: str, schedule_ids: Sequence[str]) -> OnCallAnswer:
        """On call now in one of `schedule_ids`, not on call, or unknown and why."""
        if not schedule_ids:
            return NotOnCall(())
        deadline = self._clock() + self.timeout
        try:
            return self._find(email.strip().lower(), tuple(schedule_ids), deadline)
        except _Unanswered as unanswered:
            reason = str(unanswered).replace(self._token, "***")
            log.warning("PagerDuty gave no answer", extra={"reason": reason})
            return OnCallUnknown(reason)

    def _find(self, email: str, schedules: tuple[str, ...], deadline: float) -> OnCallAnswer:
        entries = self._entries(schedules, deadline)
        lookups, unchecked = 0, False
        for entry in entries:
            schedule = entry.get("schedule") or {}
            if schedule.get("id") not in schedules:
                continue
            user = entry.get("user") or {}
            found = user.get("email")
            if found is None and lookups < self.max_user_lookups and user.get("id"):
                lookups += 1
                found = self._user_email(str(user["id"]), deadline)
            unchecked |= found is None
            if found and str(found).strip().lower() == email:
                return OnCallNow(str(schedule["id"]), schedule.get("summary") or None)
        if unchecked:
            raise _Unanswered("PagerDuty did not give the e-mail of everyone on call, so "
                              "Gatehouse cannot tell whether you are")
        return NotOnCall(schedules)

    def _entries(self, schedules: tuple[str, ...], deadline: float) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        for _ in range(self.max_pages):
            query = [("schedule_ids[]", s) for s in schedules] + [
                ("time_zone", "UTC"), ("earliest", "true"), ("include[]", "users"),
                ("limit", str(PAGE_SIZE)), ("offset", str(len(entries)))]
            page = self._get("/oncalls", query, deadline)
            batch = page.get("oncalls")
            if not isinstance(batch, list):
                raise _Unanswered("PagerDuty's answer to /oncalls had no list of on-calls")
            entries += [e for e in batch if isinstance(e, dict)]
            if not page.get("more") or not batch:
                return entries
        raise _Unanswered(f"PagerDuty had more than {self.max_pages} pages of on-calls")

    def _user_email(self, user_id: str, deadline: float) -> str | None:
        path = f"/users/{urllib.parse.quote(user_id, safe='')}"
        email = (self._get(path, [], deadline).get("user") or {}).get("email")
        return str(email) if email else None

    def _get(self, path: str, query: list[tuple[str, str]], deadline: float) -> dict[str, Any]:
        left = deadline - self._clock()
        if left <= 0:
            raise _Unanswered(f"PagerDuty did not answer within {self.timeout:g}s")
        url = self.base_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        request = urllib.request.Request(url, headers={
            "Authorization": f"Token token={self._token}",
            "Accept": "application/vnd.pagerduty+json;version=2"})
        try:
            with urllib.request.urlopen(request, timeout=left) as response:  # noqa: S310
                body = response.read()
        except urllib.error.HTTPError as error:
            raise _Unanswered(_http_words(error.code)) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            if isinstance(error, TimeoutError) or isinstance(
                    getattr(error, "reason", None), TimeoutError):
                raise _Unanswered(f"PagerDuty did not answer within {self.timeout:g}s") from None
            raise _Unanswered(f"PagerDuty could not be reached ({_cause(error)})") from None
        return _json_object(body)


def _http_words(status: int) -> str:
    if status in (401, 403):
        return f"PagerDuty refused Gatehouse's API token (HTTP {status})"
    if status == 429:
        return "PagerDuty is rate limiting Gatehouse (HTTP 429)"
    return f"PagerDuty answered HTTP {status}"


def _cause(error: Exception) -> str:
    reason = getattr(error, "reason", None) or error
    return getattr(reason, "strerror", None) or type(reason).__name__


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        raise _Unanswered("PagerDuty answered something that is not JSON") from None
    if not isinstance(value, dict):
        raise _Unanswered("PagerDuty answered JSON that is not an object")
    return value
