"""Errors whose message is shown to the Slack user as is."""


class UserError(Exception):
    """Bad input or a refused action; the message says what was wrong and how to fix it."""
