"""Small network helpers shared by the servers, the stack and the tests."""

from __future__ import annotations

import random
import socket
from collections import deque

# Listening ports come from below Linux's ephemeral range (32768-60999; macOS's starts at
# 49152): a port the OS picked from that range can be handed to an outgoing connection in the
# moment before the server binds it (measured: 11 "Address already in use" start-ups in one
# `make test` with three test processes and the notebooks running at once).
_LISTEN_PORTS = range(20000, 32768)
_handed: deque[int] = deque(maxlen=1024)  # the ports handed out lately, not all ever
_pick = random.SystemRandom()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago and that this process has not handed out lately,
    for a server about to listen on it."""
    for _ in range(500):
        port = _pick.choice(_LISTEN_PORTS)
        if port not in _handed and port_is_free(port, host):
            _handed.append(port)
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # the range is taken
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def port_answers(port: int, host: str = "127.0.0.1", timeout: float = 0.2) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(port: int, host: str = "127.0.0.1", timeout: float = 10.0) -> bool:
    """Poll until host:port accepts connections; False after ``timeout`` seconds."""
    from labkit.waiting import eventually

    return eventually(lambda: port_answers(port, host), timeout)
