"""Make user-written text safe to show in Slack messages."""


def escape(text: str) -> str:
    """Escape `&`, `<` and `>`, so `<!channel>` or `<@U1>` typed by a user is shown, not acted on."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
