"""Exercises of lesson 00, start here: modes and finding the stack's services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from labkit.lessons.check import exercise, known_answer

known_answer(
    "00.no_docker_mode",
    "acabc2937863f41f370779d81c28d593fef72dab893ef8ded48b9b871af55b67",
    hint="look at the modes table: which one runs everything as child processes of labkit?",
)


@exercise("00.sqs_port", hint="read it from lab.urls['sqs']: the number after the last colon")
def _sqs_port(answer: Any, data: Any = None, **context: Any) -> bool | str:
    urls = getattr(data, "urls", data) or {}
    expected = urlparse(urls["sqs"]).port
    if isinstance(answer, str) and not answer.strip().isdigit():
        return "give the port as a number, e.g. 9324"
    return int(answer) == expected
