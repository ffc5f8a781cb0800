"""Each kernel works in an emulator account of its own; the CLI in the class account."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from labkit.stack.clients import (
    CLASS_ACCOUNT,
    emulator_client,
    is_account,
    process_account,
)
from labkit.stack.context import context_of
from labkit.stack.errors import StackError
from labkit.stack.lab import Lab

PRINT_ACCOUNT = "from labkit.stack.clients import process_account; print(process_account())"


def account_of_new_process(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", PRINT_ACCOUNT],
        capture_output=True,
        text=True,
        env={**{k: v for k, v in os.environ.items() if k != "LABKIT_ACCOUNT"}, **env},
        timeout=60,
    )


def test_every_process_has_its_own_stable_account() -> None:
    mine = process_account()
    assert is_account(mine) and mine != CLASS_ACCOUNT
    assert process_account() == mine
    others = {account_of_new_process().stdout.strip() for _ in range(2)}
    assert len(others) == 2 and mine not in others and all(map(is_account, others))
    chosen = account_of_new_process(LABKIT_ACCOUNT="123456789012")
    assert chosen.stdout.strip() == "123456789012"
    wrong = account_of_new_process(LABKIT_ACCOUNT="12ab")
    assert wrong.returncode != 0 and "LABKIT_ACCOUNT must be 12 digits" in wrong.stderr


def embedded_lab(endpoint: str, account: str | None = None) -> Lab:
    state = {
        "mode": "embedded",
        "urls": {"sqs": endpoint},
        "env": {"AWS_ACCESS_KEY_ID": "labkit", "AWS_SECRET_ACCESS_KEY": "labkit"},
    }
    return Lab(state, account=account)


def test_a_lab_acts_in_the_kernels_account(sqs_endpoint: str) -> None:
    lab = embedded_lab(sqs_endpoint)
    assert lab.account == process_account()
    assert lab.env["AWS_ACCESS_KEY_ID"] == lab.account  # what its child workers use
    assert context_of(lab.sqs).account == lab.account and context_of(lab.sqs) is lab.context
    assert lab.account in repr(lab) and lab.account in lab._repr_html_()
    aws = Lab({"mode": "aws", "urls": {"sqs": "https://sqs.us-east-1.amazonaws.com"}})
    assert aws.account is None and "AWS_ACCESS_KEY_ID" not in aws.env


def test_two_kernels_same_names_separate_queues(sqs_endpoint: str) -> None:
    one, two = (
        embedded_lab(sqs_endpoint, "111111111111"),
        embedded_lab(sqs_endpoint, "222222222222"),
    )
    urls = [lab.queue_url("csse6400_prac") for lab in (one, two)]  # created on first use
    assert urls[0] != urls[1] and "/111111111111/" in urls[0] and "/222222222222/" in urls[1]
    assert "csse6400_prac.fifo" in one.queue_names()
    one.sqs.send_message(QueueUrl=urls[0], MessageBody="only for one")
    assert two.sqs.receive_message(QueueUrl=urls[1], WaitTimeSeconds=0).get("Messages", []) == []
    got = one.sqs.receive_message(QueueUrl=urls[0], WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["only for one"]
    classroom = emulator_client(sqs_endpoint)  # the CLI's and a tutor's terminal
    assert context_of(classroom).account == CLASS_ACCOUNT
    listed = classroom.list_queues().get("QueueUrls", [])
    assert not any("/111111111111/" in url or "/222222222222/" in url for url in listed)


def test_an_unknown_queue_is_still_an_error(sqs_endpoint: str) -> None:
    lab = embedded_lab(sqs_endpoint, "333333333333")
    with pytest.raises(StackError, match="no queue named 'nope'"):
        lab.queue_url("nope")


def test_a_context_goes_where_its_client_goes(sqs_endpoint: str) -> None:
    """`lab.context` answers the client's calls, so a helper given either acts the same."""
    from labkit.lessons.engine.queue_state import queue_depth, start_clean

    lab = embedded_lab(sqs_endpoint, "333333333333")
    context = lab.context
    assert context_of(context) is context and context.kind == "emulator"
    url = context.create_queue(QueueName="context-calls")["QueueUrl"]
    context.send_message(QueueUrl=url, MessageBody="one")
    assert queue_depth(context, url) == queue_depth(lab.sqs, url) == 1
    assert start_clean(context, url).startswith("1 queue(s) emptied (1 old")
    assert context.meta.endpoint_url == sqs_endpoint
