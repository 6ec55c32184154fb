"""Parse `/access …` text into a command, with usage that says how to write each one."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from domain.durations import DurationError, parse_duration
from domain.errors import UserError
from domain.requests import parse_request_id

USAGE = {
    "help": "`/access help` — this message",
    "request": "`/access request [<role> <duration> [at <YYYY-MM-DD HH:MM>] <reason…>]` — "
               "ask for access, now or from a later start (no arguments opens a form)",
    "breakglass": "`/access breakglass <role> <duration> <reason…>` — emergency access at "
                  "once, for those allowed; announced and reviewed afterwards",
    "list": "`/access list` — your pending requests, active grants and keys",
    "cancel": "`/access cancel <request-id>` — cancel your pending request",
    "revoke": "`/access revoke <request-id>` — end an active grant now",
    "extend": "`/access extend <request-id> <duration> [reason…]` — ask for more time",
    "rotate-key": "`/access rotate-key [@user] [account]` — rotate your IAM access key "
                  "(admins: anyone's; name the account when there are several)",
    "who-can": "`/access who-can <role>` — who may request and who approves a role",
    "pending": "`/access pending` — requests waiting for your decision",
    "digest": "`/access digest` — post the IAM hygiene digest now (admins)",
    "audit": "`/access audit [@user|role] [days]` — recent audit entries (admins)",
}
USER_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class Command:
    name: str
    args: tuple[str, ...] = ()
    rest: str = ""


def help_text(roles: list[str], permission_sets: list[str] | None = None) -> str:
    lines = ["*Gatehouse: temporary AWS access*", *(f"• {u}" for u in USAGE.values())]
    lines.append(f"Roles: {', '.join(f'`{r}`' for r in roles)}. "
                 "Durations: 15m, 2h, 1h30m. Ids look like R-42.")
    if permission_sets:
        lines.append("Permission sets (IAM Identity Center; you sign in at the access portal): "
                     f"{', '.join(f'`{p}`' for p in permission_sets)}.")
    return "\n".join(lines)


def parse(text: str) -> Command:
    """Split the command text; raise UserError for an unknown subcommand."""
    words = text.strip().split()
    if not words:
        return Command("help")
    name = words[0].lower()
    if name not in USAGE:
        raise UserError(f"`{_show(words[0])}` is not an /access command. Try one of these:\n"
                        + "\n".join(f"• {u}" for u in USAGE.values()))
    rest = text.strip()[len(words[0]):].strip()
    return Command(name, tuple(words[1:]), rest)


def request_id(command: Command) -> int:
    if not command.args:
        raise UserError(f"Which request? Write: {USAGE[command.name]}")
    number = parse_request_id(command.args[0])
    if number is None:
        raise UserError(f"`{_show(command.args[0])}` is not a request id (they look like R-42). "
                        f"Write: {USAGE[command.name]}")
    return number


def duration(text: str, usage_key: str) -> int:
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise UserError(f"{exc}. Write: {USAGE[usage_key]}") from None


def request_args(command: Command) -> tuple[str, int, str]:
    """`<role> <duration> <reason…>` -> (role, seconds, reason); also for `breakglass`."""
    usage = USAGE[command.name]
    if len(command.args) < 2:
        raise UserError(f"Say which role and for how long. Write: {usage}")
    if len(command.args) < 3:
        raise UserError(f"A reason is required, so approvers know why. Write: {usage}")
    role, length = command.args[0], command.args[1]
    reason = command.rest.split(None, 2)[2]
    return role.lower(), duration(length, command.name), reason


def role_arg(command: Command) -> str:
    """`<role>` -> the role name, lower case."""
    if not command.args:
        raise UserError(f"Which role? Write: {USAGE[command.name]}")
    return command.args[0].lower()


def form_duration(text: str) -> int:
    """A duration typed in a form: its error says only what is wrong with the field."""
    try:
        return parse_duration(text)
    except DurationError as exc:
        raise UserError(f"{exc}.") from None


def form_error(refusal: Exception, limit: int = 150) -> str:
    """A refusal shaped for a form field: no command syntax, no backticks, whole sentences."""
    text = str(refusal).split(" Write: ")[0].replace("`", "").strip()
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    end = cut.rfind(". ")
    return cut[:end + 1] if end > 40 else cut[:cut.rfind(" ")] + "…"


def extend_args(command: Command) -> tuple[int, int, str]:
    number = request_id(command)
    if len(command.args) < 2:
        raise UserError(f"Say how much more time. Write: {USAGE['extend']}")
    parts = command.rest.split(None, 2)
    return number, duration(command.args[1], "extend"), parts[2] if len(parts) > 2 else ""


def user_mention(text: str) -> str | None:
    match = USER_MENTION.match(text.strip())
    return match.group(1) if match else None


def audit_args(command: Command,
               roles: Collection[str] | None = None) -> tuple[str | None, str | None, int]:
    """`[@user|role] [days]` -> (user, role, days); each unknown word is refused in words."""
    user = role = None
    days = 7
    for arg in command.args:
        if arg.isascii() and arg.isdigit():
            days = int(arg) if len(arg) <= 4 else 0
            if not 1 <= days <= 365:
                raise UserError(f"Days must be between 1 and 365. Write: {USAGE['audit']}")
        elif mention := user_mention(arg):
            user = mention
        elif arg.startswith("@"):
            raise UserError(f"`{_show(arg)}` is not a Slack mention: pick the person from the "
                            f"list Slack shows as you type @, so it becomes a link. Write: "
                            f"{USAGE['audit']}")
        elif role is not None or (roles is not None and arg.lower() not in roles):
            raise UserError(_not_audit_word(arg, role, roles))
        else:
            role = arg.lower()
    return user, role, days


def _not_audit_word(arg: str, role: str | None, roles: Collection[str] | None) -> str:
    if role is not None:
        return (f"`{_show(arg)}` is not a number of days: after the role, write how many days "
                f"back to look, such as 30. Write: {USAGE['audit']}")
    known = ", ".join(f"`{r}`" for r in sorted(roles or ()))
    return (f"There is no role called `{_show(arg)}`; the roles are {known}. Write: "
            f"{USAGE['audit']} (days as a number, such as 30)")


def _show(text: str) -> str:
    """User text echoed inside code spans: cut short and without backticks or brackets."""
    cleaned = text.replace("`", "'").replace("<", "&lt;").replace(">", "&gt;")
    return cleaned[:40] + ("…" if len(cleaned) > 40 else "")
