"""The one masker of labkit: what every output (CLI, notebook, error body, log) passes text through.

A URL's password, an access key id, and the value of anything named like a secret (AWS's secret
key and session token in every spelling it comes in: an env line, a quoted `.env` value, a
Python dict repr, STS's JSON, a presigned URL's `X-Amz-Security-Token=`; the stack's own Redis
password and signing secret) are hidden; hosts, ports and paths stay, so a message still says
where.
"""

from __future__ import annotations

import re

_ACCESS_KEY = re.compile(r"\b((?:AKIA|ASIA|AROA|AIDA)[0-9A-Z]{12,})\b")

# A URL's userinfo: everything from `scheme://` to the LAST `@` of the same word. Unencoded
# secrets may hold `/`, `?`, `#` or `@`; splitting the URL as RFC 3986 does would show the rest.
_URL_USERINFO = re.compile(
    r"\b(?P<scheme>[A-Za-z][A-Za-z0-9+.-]{0,30}://)(?P<userinfo>\S{0,4096})@"
)
_SECRET_NAMES = (
    r"(?:aws_)?secret_access_key|(?:aws_)?session_token|aws_security_token"
    r"|x-amz-security-token|x-amz-signature|secretaccesskey|sessiontoken"
    r"|labkit_redis_password|labkit_stack_secret|redis_password|postgres_password"
)
# NAME, its closing quote (a dict's key, a JSON member), `=` or `:`, an opening quote, then the
# value up to a quote, a space or a separator; or redis.conf's `requirepass VALUE`.
_SECRET_ASSIGNMENT = re.compile(
    rf"(?P<name>\b(?:{_SECRET_NAMES}))(?P<sep>['\"]?\s*[=:]\s*['\"]?)"
    r"(?P<value>[^\s,;'\"&}<>]+)"
    r"|(?P<conf>\brequirepass[ \t]+['\"]?)(?P<confvalue>[^\s'\"]+)",
    re.IGNORECASE,
)


def _hide(match: re.Match[str], hidden: str) -> str:
    if match.group("conf"):
        return f"{match.group('conf')}{hidden}"
    return f"{match.group('name')}{match.group('sep')}{hidden}"


def mask(value: str | None, keep: int = 4) -> str:
    """An access key id with only its ends showing: the first and last ``keep`` characters.

    Too short to hide anything by showing its ends, and it is masked whole.
    """
    if not value:
        return "<none>"
    if len(value) < 3 * keep:
        return "*" * 8
    return f"{value[:keep]}…{value[-keep:]}"


def mask_secret(value: str | None) -> str:
    """A secret key or session token: nothing of it shows, only whether there is one."""
    return "<none>" if not value else "*" * 8


def _masked_userinfo(userinfo: str, hidden: str) -> str:
    user, colon, _password = userinfo.partition(":")
    user = _ACCESS_KEY.sub(lambda m: mask(m.group(1)), user)
    return f"{user}:{hidden}" if colon else user


def redact(text: str, hidden: str = "****") -> str:
    """``text`` (a URL or a whole message) safe to print or return in an error body.

    A URL's password (everything between the first `:` of its userinfo and the last `@` of the
    word) becomes ``hidden``, an access key id anywhere keeps only its ends (`AKIA…WXYZ`), and
    the value of any secret-named setting is ``hidden`` whatever its quoting.
    """
    text = _URL_USERINFO.sub(
        lambda m: f"{m.group('scheme')}{_masked_userinfo(m.group('userinfo'), hidden)}@", text
    )
    text = _SECRET_ASSIGNMENT.sub(lambda m: _hide(m, hidden), text)
    return _ACCESS_KEY.sub(lambda m: mask(m.group(1)), text)


def scrub(text: str) -> str:
    """``text`` with credentials masked (an alias of `redact`, for error messages)."""
    return redact(text)


def mask_url(url: str | None, hidden: str = "****") -> str:
    """A connection URL with its password replaced by ``hidden``: `postgresql://user:****@host/db`,
    `redis://:****@host:6379/0`, `sqs://AKIA…WXYZ:****@`. Safe to print; '(not set)' for an
    empty value. Same rules as `redact`."""
    if not url:
        return "(not set)"
    return redact(url, hidden)
