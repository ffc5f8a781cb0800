"""Exercises of lesson 00, start here: modes and finding the stack's services."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from labkit.lessons.grading.checker import exercise, known_answer, read_whole_number
from labkit.lessons.grading.exercises._live import current_lab

known_answer(
    "00.no_docker_mode",
    "acabc2937863f41f370779d81c28d593fef72dab893ef8ded48b9b871af55b67",
    hint="look at the modes table: which one runs everything as child processes of labkit?",
)


@exercise("00.sqs_port", hint="read it from lab.urls['sqs']: the number after the last colon")
def _sqs_port(answer: Any, data: Any = None) -> bool:
    port = read_whole_number(answer)
    return port == urlparse(current_lab().urls["sqs"]).port
