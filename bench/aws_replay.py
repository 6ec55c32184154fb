"""AWS answers recorded once from moto, then replayed to botocore with a stated latency model."""

from __future__ import annotations

import copy
import json
import threading
import time
from collections import Counter, defaultdict

from botocore.awsrequest import AWSResponse

HUB = "hub"  # the recordings of Gatehouse's own session (AssumeRole, GetCallerIdentity)
VOLATILE = ("StartTime", "EndTime")  # request fields that follow the clock, not the data


def request_key(model, params: dict) -> tuple[str, str]:
    """The operation and its parameters, without the ones that follow the clock."""
    body = params.get("body")
    if isinstance(body, bytes | str):
        body = json.loads(body or "{}")
    if isinstance(body, dict):
        body = {k: v for k, v in body.items() if k not in VOLATILE}
    return model.name, json.dumps([params.get("url_path"), params.get("query_string"), body],
                                  sort_keys=True, default=str)


class Recording:
    """Per session (an account's access key, or the hub): each request's answers in order."""

    def __init__(self) -> None:
        self.answers: dict[str, dict[tuple[str, str], list[tuple[int, dict]]]] = \
            defaultdict(lambda: defaultdict(list))
        self._lock = threading.Lock()

    def record(self, events, owner: str) -> None:
        """Keep every answer this session's calls get (moto's, or the in-process stand-ins')."""
        def keyed(model, params, context, **_):
            context["replay_key"] = request_key(model, params)

        def answered(http_response, parsed, context, **_):
            with self._lock:
                self.answers[owner][context["replay_key"]].append(
                    (http_response.status_code, copy.deepcopy(parsed)))
        events.register_first("before-call.*.*", keyed)  # wildcards run before stand-ins
        events.register_last("after-call.*.*", answered)

    def replay(self, events, owner: str) -> None:
        """Answer this session's calls from the recording, in the order they were recorded;
        a request never recorded fails loudly (nothing goes out to the network). Handlers of
        one event run in the order registered: instrument the latency first."""
        served: Counter = Counter()

        def answer(model, params, **_):
            key = request_key(model, params)
            found = self.answers.get(owner, {}).get(key)
            if not found:
                raise LookupError(f"no recorded answer for {owner} {key}")
            status, parsed = found[min(served[key], len(found) - 1)]
            served[key] += 1
            return AWSResponse("https://aws.invalid/", status, {}, None), copy.deepcopy(parsed)
        events.register_first("before-call.*.*", answer)


class Latency:
    """Counts every call and sleeps the stated time for it first (thread-safe)."""

    def __init__(self, default: float, slow: dict[str, float]) -> None:
        self.default, self.slow = default, slow
        self.calls: Counter = Counter()
        self._lock = threading.Lock()

    def instrument(self, events) -> None:
        events.register_first("before-call.*.*", self._call)  # instrument before replaying

    def _call(self, model, **_) -> None:
        with self._lock:
            self.calls[model.name] += 1
        if self.default:
            time.sleep(self.slow.get(model.name, self.default))


def owner_of(session) -> str:
    """The recording a session belongs to: the access key its (replayed) AssumeRole gave."""
    return session.get_credentials().access_key
