"""Posts a digest to Slack: the summary in the channel, details and trend chart in its thread."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from domain.digest import Digest
from handlers import digest_blocks as blocks
from handlers.chart import bar_chart_png

log = logging.getLogger("gatehouse.digest")


class SlackDigestPublisher:
    """Implements the digest service's publisher over the Web API."""

    def __init__(self, client: WebClient, channel: str) -> None:
        self.client = client
        self.channel = channel

    def publish(self, digest: Digest, digest_id: int) -> tuple[str, str]:
        """Post the summary; then the thread, whose failures are logged, not raised."""
        posted = self.client.chat_postMessage(channel=self.channel,
                                              text=blocks.summary_text(digest),
                                              blocks=blocks.summary_blocks(digest))
        channel, ts = posted["channel"], posted["ts"]
        try:
            for message in blocks.detail_messages(digest):
                self.client.chat_postMessage(channel=channel, thread_ts=ts,
                                             text=blocks.detail_text(message), blocks=message)
            self._chart(digest, channel, ts)
        except (SlackApiError, OSError) as error:
            log.warning("digest thread incomplete", extra={"digest_id": digest_id,
                                                           "error": str(error)})
        return channel, ts

    def _chart(self, digest: Digest, channel: str, ts: str) -> None:
        png = bar_chart_png([point.open for point in digest.trend])
        self.client.files_upload_v2(
            channel=channel, thread_ts=ts, content=png,
            filename=f"open-findings-{digest.day:%Y-%m-%d}.png",
            title="Open findings, last 30 days", initial_comment=blocks.trend_caption(digest))
