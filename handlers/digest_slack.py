"""Posts a digest to Slack: the summary in the channel, details and trend chart in its thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from domain.digest import Digest
from domain.org_digest import OrgDigest
from handlers import digest_blocks as blocks
from handlers import digest_org_blocks as org_blocks
from handlers.chart import bar_chart_png, panels_png

log = logging.getLogger("gatehouse.digest")


class SlackDigestPublisher:
    """Implements the digest service's publisher over the Web API."""

    def __init__(self, client: WebClient, channel: str) -> None:
        self.client = client
        self.channel = channel

    def publish(self, digest: Digest | OrgDigest, digest_id: int) -> tuple[str, str]:
        """Post the summary; then the thread, whose failures are logged, not raised."""
        if isinstance(digest, OrgDigest):
            return self._publish_org(digest, digest_id)
        posted = self.client.chat_postMessage(channel=self.channel,
                                              text=blocks.summary_text(digest),
                                              blocks=blocks.summary_blocks(digest))
        channel, ts = posted["channel"], posted["ts"]
        self._thread(digest_id, channel, ts, blocks.detail_messages(digest), lambda: self._chart(
            digest, channel, ts))
        return channel, ts

    def _publish_org(self, digest: OrgDigest, digest_id: int) -> tuple[str, str]:
        """A row per account in the channel; each account's details in the thread."""
        first, *rest = org_blocks.summary_messages(digest)
        posted = self.client.chat_postMessage(channel=self.channel,
                                              text=org_blocks.summary_text(digest), blocks=first)
        channel, ts = posted["channel"], posted["ts"]
        self._thread(digest_id, channel, ts, rest + org_blocks.thread_messages(digest),
                     lambda: self._upload(channel, ts, org_blocks.chart_caption(digest),
                                          panels_png(org_blocks.chart_panels(digest)),
                                          f"open-findings-org-{digest.day:%Y-%m-%d}.png"))
        return channel, ts

    def _thread(self, digest_id: int, channel: str, ts: str, messages: list[list[Any]],
                chart: Callable[[], None]) -> None:
        try:
            for message in messages:
                self.client.chat_postMessage(channel=channel, thread_ts=ts,
                                             text=blocks.detail_text(message), blocks=message)
            chart()
        except (SlackApiError, OSError) as error:
            log.warning("digest thread incomplete", extra={"digest_id": digest_id,
                                                           "error": str(error)})

    def _chart(self, digest: Digest, channel: str, ts: str) -> None:
        png = bar_chart_png([point.open for point in digest.trend])
        self._upload(channel, ts, blocks.trend_caption(digest), png,
                     f"open-findings-{digest.day:%Y-%m-%d}.png")

    def _upload(self, channel: str, ts: str, caption: str, png: bytes, filename: str) -> None:
        self.client.files_upload_v2(
            channel=channel, thread_ts=ts, content=png, filename=filename,
            title="Open findings, last 30 days", initial_comment=caption)
