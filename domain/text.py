"""Make user-written text safe to show in Slack messages."""


def escape(text: str) -> str:
    """Escape `&`, `<` and `>`: a typed `<!channel>` or `<@U1>` is shown, not acted on."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
