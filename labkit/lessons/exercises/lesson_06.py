"""Exercises of lesson 06, Celery on SQS."""

from __future__ import annotations

from labkit.lessons.check import known_answer

known_answer(
    "06.no_backend",
    "795d9950f187e413f9aff26a0a9e2677b2c1b78f02402bca8ae44aa065f3ac3e",
    hint="which of the three needs to read what the worker wrote after the task ran?",
)
known_answer(
    "06.body_encoding",
    "2815d77c89884e97bb72edcf80a05f3e45d74b934cbf22b048ab70d8c1bad8d0",
    hint="look at the first cell of the lesson that decodes the message: what undoes it?",
)
known_answer(
    "06.ordered_tasks",
    "6386617fa022faf063f6d7715ccf8c47e46a2ce579b6c3d94601db7d1bb7ffc6",
    hint="the same argument SQS's SendMessage takes to keep a FIFO queue's order per group",
)
