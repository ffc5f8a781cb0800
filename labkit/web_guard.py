"""Who may talk to the lab's two HTTP servers (the SQS emulator and the TaskOverflow API).

Both listen on 127.0.0.1, yet any web page the student opens can reach them: its scripts may
POST (`fetch(..., {mode: "no-cors"})`) and, through DNS rebinding, even read the answers under a
name of the attacker's. So both servers check every request the same way:

- the ``Host`` header must name a loopback address (``127.0.0.1``, ``localhost``, ``[::1]``, any
  port) or a host listed in ``LABKIT_ALLOWED_HOSTS`` (comma-separated; compose sets its service
  names ``sqs``/``app``, a Codespaces or JupyterHub proxy its public name);
- a write (anything but GET/HEAD/OPTIONS) that carries an ``Origin`` must come from the server's
  own origin (same host and port as the Host header) or from an allowed non-loopback host;
- the emulator's admin routes (``/_labkit/*``) take only ``application/json``, which a page can
  send cross-site only after a CORS preflight neither server ever grants.

Python clients (boto3, requests, kombu) send a loopback Host and no Origin, so they pass.
Also here: `json_depth`, the nesting bound checked before a body is parsed.
"""

from __future__ import annotations

import ipaddress
import os
import re
from urllib.parse import urlsplit

ALLOWED_HOSTS_ENV = "LABKIT_ALLOWED_HOSTS"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_JSON_DEPTH = 64

_HOST = re.compile(
    r"(?:\[(?P<ip6>[0-9A-Fa-f:.]+)\]|(?P<name>[A-Za-z0-9._-]+))(?::(?P<port>[0-9]{1,5}))?"
)
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def configured_hosts(environ: dict[str, str] | None = None) -> frozenset[str]:
    """The host names `LABKIT_ALLOWED_HOSTS` adds (lower case, ports and brackets dropped; a
    `*` matches within one label of the name), plus the public names of the proxies the lab
    runs behind: a GitHub Codespace's forwarded ports (`CODESPACE_NAME-PORT.<forwarding
    domain>`, PORT digits only) and a JupyterHub's public URL (`JUPYTERHUB_PUBLIC_URL`,
    `JUPYTERHUB_PUBLIC_HUB_URL`)."""
    env = os.environ if environ is None else environ
    items = env.get(ALLOWED_HOSTS_ENV, "").split(",")
    items += [env.get("JUPYTERHUB_PUBLIC_URL", ""), env.get("JUPYTERHUB_PUBLIC_HUB_URL", "")]
    codespace = env.get("CODESPACE_NAME", "").strip().lower()
    domain = env.get("GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN", "").strip().lower()
    if codespace and domain:
        items.append(f"{codespace}-{_PORT_TOKEN}.{domain}")
    hosts = set()
    for item in items:
        item = item.strip().lower()
        if "://" in item:  # a whole URL pasted: keep its host
            item = urlsplit(item).netloc
        if "*" in item or _PORT_TOKEN in item:
            hosts.add(item.rsplit(":", 1)[0] if re.search(r":[0-9]+$", item) else item)
            continue
        name = host_name(item) or _bare_ipv6(item)
        if name:
            hosts.add(name)
    return frozenset(hosts)


def _bare_ipv6(item: str) -> str | None:
    """An IPv6 address written without brackets (`2001:db8::5`), normalised; else None."""
    try:
        return str(ipaddress.IPv6Address(item))
    except ValueError:
        return None


_PORT_TOKEN = "{port}"  # in a pattern: a port number (1-5 digits)


def _pattern(entry: str) -> re.Pattern[str]:
    """An allowed-host entry as a regex: `*` stays within one label (`*.uni.example` allows
    `lab-1.uni.example`, not `evil.com.uni.example`), `{port}` is a port number."""
    parts = [re.escape(part) for part in entry.split(_PORT_TOKEN)]
    parts = [part.replace(r"\*", "[a-z0-9-]*") for part in parts]
    return re.compile("[0-9]{1,5}".join(parts))


def _listed(name: str, allowed: frozenset[str]) -> bool:
    """``name`` is in ``allowed``, exactly or through a wildcard entry."""
    if name in allowed:
        return True
    return any(
        ("*" in entry or _PORT_TOKEN in entry) and _pattern(entry).fullmatch(name)
        for entry in allowed
    )


def host_name(host: str | None) -> str | None:
    """The name in a Host header value (``localhost:6400`` -> ``localhost``, ``[::1]:9324`` ->
    ``::1``), lower case; None when it is not a well-formed host[:port]."""
    if not host:
        return None
    match = _HOST.fullmatch(host.strip())
    if not match:
        return None
    if match.group("ip6"):
        return _bare_ipv6(match.group("ip6"))
    return match.group("name").lower().rstrip(".")


def host_allowed(host: str | None, extra: frozenset[str] | None = None) -> bool:
    """True when a request's Host header names this machine's loopback or an allowed host.

    A request without a Host header (HTTP/1.0 tools) is allowed: browsers always send one.
    """
    if host is None:
        return True
    name = host_name(host)
    if name is None:
        return False
    return name in LOOPBACK_HOSTS or _listed(name, configured_hosts() if extra is None else extra)


def origin_allowed(
    origin: str | None, host: str | None, extra: frozenset[str] | None = None
) -> bool:
    """True when a write with this ``Origin`` may proceed: no Origin (not a browser), the
    server's own origin (its host and port are the Host header's), or an allowed public host
    (a proxy in front of the lab may rewrite Host)."""
    if origin is None:
        return True
    origin = origin.strip()
    if origin.lower() == "null":  # sandboxed frames, file:// pages, some redirects
        return False
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return False
    if host is not None and parts.netloc.lower() == host.strip().lower():
        return True
    name = host_name(parts.netloc)
    allowed = configured_hosts() if extra is None else extra
    return name is not None and name not in LOOPBACK_HOSTS and _listed(name, allowed)


def is_json_type(content_type: str | None) -> bool:
    """``application/json`` with or without parameters (``; charset=utf-8``)."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


def refusal(
    method: str,
    host: str | None,
    origin: str | None,
    extra: frozenset[str] | None = None,
    fetch_site: str | None = None,
    writes: bool | None = None,
    signed: bool = True,
) -> str | None:
    """Why this request is refused (one sentence for the 403 body), or None to let it through.

    ``writes`` (default: the method is not GET/HEAD/OPTIONS) marks a request that changes
    something, such as an SNS query-protocol GET. A write is refused when its Origin is not the
    server's own, and when the browser says it comes from another site (``Sec-Fetch-Site``;
    an `<img src>` GET carries no Origin) unless its Origin is an allowed host. A write sent
    as a GET must be ``signed`` (SigV4): no SDK sends one unsigned, and an older browser's
    `<img>` carries neither Origin nor Sec-Fetch-Site.
    """
    if not host_allowed(host, extra):
        return (
            f"host {host!r} is not allowed: use http://127.0.0.1:PORT, or add the name to "
            f"{ALLOWED_HOSTS_ENV}"
        )
    if writes is None:
        writes = method.upper() not in SAFE_METHODS
    if not writes:
        return None
    if not origin_allowed(origin, host, extra):
        return f"cross-site request from origin {origin!r} refused"
    if (fetch_site or "").lower() in ("cross-site", "same-site") and origin is None:
        return f"cross-site request ({fetch_site}) refused"
    if method.upper() == "GET" and not signed:
        return (
            "an action that changes something must be a signed request (use boto3 or the AWS CLI)"
        )
    return None


def json_depth(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply the JSON text ``raw`` nests arrays and objects, counting up to ``limit + 1``.

    Strings are skipped, so brackets inside them do not count. Checked before `json.loads`, so
    100,000 `[` cost one regex scan, not a RecursionError from deep in the parser.
    """
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    if b"[" not in data and b"{" not in data:
        return 0
    if b'"' in data:
        data = _STRING.sub(b'""', data)
    depth = deepest = 0
    for match in _BRACKET.finditer(data):
        if match.group() in (b"[", b"{"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        else:
            depth -= 1
    return deepest


def bounded_loads(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> object:
    """`json.loads` for text a caller sent: ValueError (as for any bad JSON) when it nests
    deeper than ``limit``, instead of a RecursionError from the parser (100,000 `[`)."""
    import json

    if json_depth(raw, limit) > limit:
        raise ValueError(f"JSON nested deeper than {limit} levels")
    return json.loads(raw)
