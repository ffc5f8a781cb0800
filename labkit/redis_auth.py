"""The password check in front of the pure-Python Redis (`labkit.fake_redis`).

fakeredis ignores `requirepass` for new connections, so on a shared machine any local user
could reach a student's pure-Python Redis. This gate reads each connection's first commands
itself: until the client has sent the stack's password (``AUTH pw``, ``AUTH default pw`` or
``HELLO n AUTH default pw``, what redis-py and kombu send) it answers every command with Redis's
own ``NOAUTH`` error and passes nothing on. Like redis-server, it allows an unauthenticated
client only short commands, so nobody without the password can make it hold much memory.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field

MAX_PENDING_BYTES = 16 * 1024  # redis-server allows unauthenticated clients about as much
MAX_PENDING_ARGS = 10
NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"


class ProtocolError(ValueError):
    """Bytes that are not a Redis command (or too long for a client not yet authenticated)."""


def _line(buf: bytes, start: int) -> tuple[bytes, int] | None:
    end = buf.find(b"\r\n", start)
    if end < 0:
        if len(buf) - start > MAX_PENDING_BYTES:
            raise ProtocolError("line too long")
        return None
    return buf[start:end], end + 2


def _number(raw: bytes, low: int, high: int) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ProtocolError("invalid length") from None
    if not low <= value <= high:
        raise ProtocolError("length out of range")
    return value


def parse_command(buf: bytes) -> tuple[list[bytes], int] | None:
    """The first complete command in ``buf`` and the offset after it; None when incomplete.

    Accepts the RESP array form (``*2\\r\\n$4\\r\\nAUTH\\r\\n...``) and the inline form
    (``AUTH pw\\r\\n``, what a person types into telnet).
    """
    if not buf:
        return None
    if buf[:1] != b"*":
        got = _line(buf, 0)
        if got is None:
            return None
        line, end = got
        return line.split()[:MAX_PENDING_ARGS], end
    got = _line(buf, 1)
    if got is None:
        return None
    count = _number(got[0], 0, MAX_PENDING_ARGS)
    pos, args = got[1], []
    for _ in range(count):
        got = _line(buf, pos)
        if got is None:
            return None
        header, pos = got
        if header[:1] != b"$":
            raise ProtocolError("expected a bulk string")
        size = _number(header[1:], 0, MAX_PENDING_BYTES)
        if len(buf) < pos + size + 2:
            return None
        args.append(buf[pos : pos + size])
        pos += size + 2
    return args, pos


def encode_command(args: list[bytes]) -> bytes:
    """``args`` as a RESP array (how a command is passed on to fakeredis)."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(parts)


@dataclass
class AuthGate:
    """One connection's state before it has authenticated.

    ``feed`` returns (bytes to answer the client, bytes to pass on to the server); once
    ``open`` is True every later byte goes straight to the server.
    """

    password: bytes
    open: bool = False
    closed: bool = False
    _buffer: bytes = field(default=b"", repr=False)

    def _matches(self, user: bytes, given: bytes) -> bool:
        return user.lower() == b"default" and hmac.compare_digest(given, self.password)

    def _one(self, args: list[bytes]) -> tuple[bytes, bytes]:
        name = args[0].upper() if args else b""
        if name == b"AUTH" and len(args) in (2, 3):
            user, given = (b"default", args[1]) if len(args) == 2 else (args[1], args[2])
            if self._matches(user, given):
                self.open = True
                return b"+OK\r\n", b""
            return WRONGPASS, b""
        if name == b"HELLO":
            upper = [arg.upper() for arg in args]
            if b"AUTH" in upper:
                at = upper.index(b"AUTH")
                if len(args) < at + 3 or not self._matches(args[at + 1], args[at + 2]):
                    return WRONGPASS, b""
                self.open = True
                return b"", encode_command(args[:at] + args[at + 3 :])
        if name == b"QUIT":
            self.closed = True
            return b"+OK\r\n", b""
        return NOAUTH, b""

    def feed(self, data: bytes) -> tuple[bytes, bytes]:
        if self.open:
            return b"", data
        self._buffer += data
        replies, forward = [], []
        try:
            while not self.open and not self.closed:
                parsed = parse_command(self._buffer)
                if parsed is None:
                    break
                args, end = parsed
                self._buffer = self._buffer[end:]
                if not args:
                    continue
                reply, passed = self._one(args)
                replies.append(reply)
                forward.append(passed)
        except ProtocolError as exc:
            self.closed = True
            replies.append(b"-ERR Protocol error: %s\r\n" % str(exc).encode())
        if self.open:
            forward.append(self._buffer)
            self._buffer = b""
        elif len(self._buffer) > MAX_PENDING_BYTES:
            self.closed = True
        return b"".join(replies), b"".join(forward)
