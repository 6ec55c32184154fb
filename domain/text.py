"""Text for people: user-written text made safe for Slack, and times written one way."""

from datetime import datetime, timezone

ISO_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # stored and audited times


def escape(text: str) -> str:
    """Escape `&`, `<` and `>`: a typed `<!channel>` or `<@U1>` is shown, not acted on."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def utc_label(moment: datetime) -> str:
    """The one way a time is written for people: `2026-11-30 09:00 UTC`."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def iso_time(moment: datetime) -> str:
    """A UTC timestamp that sorts as text, such as 2026-11-29T09:00:00Z."""
    return moment.astimezone(timezone.utc).strftime(ISO_FORMAT)
