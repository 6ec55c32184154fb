"""Files uploaded to the fake Slack with the two-step external upload, and their sharing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from fake_services.slack_models import File, SlackError


class FileStore:
    """Reserved, received and shared files, behind the workspace's lock."""

    def __init__(self, lock: threading.RLock, new_id: Callable[[str], str]) -> None:
        self._lock = lock
        self._new_id = new_id
        self._files: dict[str, File] = {}

    def clear(self) -> None:
        with self._lock:
            self._files = {}

    def start(self, filename: str) -> str:
        with self._lock:
            file = File(self._new_id("F"), filename, filename, b"")
            self._files[file.id] = file
        return file.id

    def receive(self, file_id: str, content: bytes) -> None:
        with self._lock:
            if file_id not in self._files:
                raise SlackError("file_not_found")
            self._files[file_id] = replace(self._files[file_id], content=content)

    def share(self, entries: list[dict[str, Any]], channel: str | None, thread_ts: str | None,
              initial_comment: str | None) -> list[File]:
        """Mark uploaded files shared (in `channel`, already resolved, when given)."""
        with self._lock:
            if any(e.get("id") not in self._files for e in entries):
                raise SlackError("file_not_found")
            done = []
            for entry in entries:
                file = self._files[entry["id"]]
                file = replace(file, title=entry.get("title") or file.name, thread_ts=thread_ts,
                               channel=channel, initial_comment=initial_comment, shared=True)
                self._files[file.id] = file
                done.append(file)
            return done

    def shared(self) -> list[File]:
        with self._lock:
            return [f for f in self._files.values() if f.shared]
