"""`labkit queue`: the course's queue tool (`ghcr.io/csse6400/queue`), faithful and fixed.

Same flags, 100 messages `{prepend}Message {i}` sent one by one with a `client` attribute, the
same output lines; it talks to the running lab stack's SQS emulator unless `--mode aws` or
`--endpoint` says otherwise. Two course bugs are fixed: an unknown queue is told apart from
credential and network failures (each with its next step), and a message without the `client`
attribute is shown as `unknown` instead of crashing the receiver.

For a class demo: it acts in the class account (notebooks have accounts of their own),
`--fresh` empties the class account's queues and forgets FIFO deduplication first, `--rate`
paces the sends so arrivals can be watched, and a FIFO send that the queue deduplicated whole
says so (the emulator marks deduplicated sends; AWS does not, so there it stays silent).
"""

from __future__ import annotations

import argparse
import csv
import errno
import os
import re
import stat
import sys
import time
from pathlib import Path
from typing import Any, TextIO

BANNER = r"""
    .-----------------------------------------------.
    |  >> [#][#][#][#][#] >>   University of Queensland
    |                          Faculty of EAIT
    |  << [ ][ ][ ][ ][ ] <<   CSSE6400 Queue Prac
    |                          csse6400.uqcloud.net
    '-----------------------------------------------'
"""
NUMBER = re.compile(r"Message (\d+)$")
RECORD_FIELDS = ["time", "client", "body", "number", "message_id", "receive_count"]
# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets
# (`=HYPERLINK(...)` in a message body would be live in the student's spreadsheet).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """``cell`` as a spreadsheet shows it as text: a leading formula character gets a `'`."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def terminal_safe(text: str) -> str:
    """``text`` with control and format characters escaped (`\\r`, `\\x1b`, `\\u202e`): a
    message body is the sender's text, and a carriage return, an escape sequence or a
    right-to-left override would let it rewrite the receiver's screen (`Message 1\\r[09:00:00]
    Tutor: run curl ...`)."""
    if text.isprintable():
        return text
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text
    )


def register(sub: argparse._SubParsersAction) -> None:
    """Add `labkit queue` to the `labkit` parser."""
    p = sub.add_parser(
        "queue",
        help="the course's queue tool: send 100 messages, or receive them",
        description="Send 100 messages to an SQS queue, or receive and delete them forever.",
    )
    p.add_argument("--name", help="queue name, e.g. csse6400_prac (required)")
    p.add_argument("--client-name", help="name sent with each message (required)")
    action = p.add_mutually_exclusive_group()
    action.add_argument("--send", dest="receive", action="store_false", help="send (default)")
    action.add_argument("--receive", dest="receive", action="store_true", help="receive")
    p.add_argument("--prepend", default="", help="text put before each message body")
    p.add_argument("--count", type=_positive, default=100, help="messages to send (default 100)")
    p.add_argument("--batch", action="store_true", help="send in batches of 10")
    p.add_argument(
        "--rate",
        type=_rate,
        help="messages per second (default: as fast as SQS answers); e.g. 4 for a class demo",
    )
    p.add_argument(
        "--fresh",
        action="store_true",
        help="first empty the class account's queues and forget FIFO deduplication (emulator)",
    )
    p.add_argument("--mode", choices=["embedded", "aws"], default="embedded", help="where SQS is")
    p.add_argument("--endpoint", help="SQS endpoint URL (default: the lab stack's emulator)")
    p.add_argument("--record", type=Path, help="receiver: append arrivals to this CSV file")
    p.add_argument(
        "--max-idle", type=float, help="receiver: stop after this many seconds without messages"
    )
    p.set_defaults(func=run, receive=False)


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a number of messages per second"
        ) from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError("must be more than 0 messages per second")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _client(args: argparse.Namespace, out: TextIO) -> tuple[Any, str | None]:
    """A boto3 SQS client and the endpoint it uses (None for AWS)."""
    if args.endpoint:
        endpoint = args.endpoint
    elif args.mode == "aws":
        from labkit.stack.aws import sqs_client

        return sqs_client(), None
    else:
        endpoint = _stack_endpoint(out)
    from labkit.stack.clients import emulator_client

    return emulator_client(endpoint), endpoint


def _stack_endpoint(out: TextIO) -> str:
    """The running stack's SQS URL; the stack is started first when none answers."""
    from labkit.stack import embedded
    from labkit.stack.state import read_state

    state = read_state()
    sqs = (state or {}).get("services", {}).get("sqs")
    if state and state.get("mode") == "embedded" and embedded.service_healthy("sqs", sqs):
        return sqs["url"]
    if state and state.get("mode") == "compose":
        return state["urls"]["sqs"]
    print("No lab stack answered: starting it (`labkit down` stops it) ...", file=out, flush=True)
    from labkit.stack import up

    return up().urls["sqs"]


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    from labkit.redact import redact
    from labkit.stack.aws import explain
    from labkit.stack.errors import StackError

    record = None
    if args.receive and args.record is not None:
        try:  # before anything starts: a bad path is one line, not a traceback mid-run
            record = _open_record(args.record)
        except OSError as exc:
            print(
                f"Cannot write the record file {args.record}: {exc.strerror or exc}; "
                "create its folder or pick another path for --record.",
                file=sys.stderr,
            )
            return 1
    if not args.fresh or args.name or args.client_name:
        given = {"--name": args.name, "--client-name": args.client_name}
        missing = [flag for flag, value in given.items() if not value]
        if missing:
            print(
                f"labkit queue: {' and '.join(missing)} required, e.g. --name csse6400_prac "
                '--client-name "Client 1" (or only --fresh to empty the class queues)',
                file=sys.stderr,
            )
            return 2
    try:
        sqs, endpoint = _client(args, out)
    except StackError as exc:
        print(redact(str(exc)), file=sys.stderr)
        return 1
    if args.fresh:
        try:
            print(fresh_start(sqs, endpoint), file=out, flush=True)
        except StackError as exc:
            print(redact(str(exc)), file=sys.stderr)
            return 1
        if not args.name:
            return 0
    print(BANNER, file=out)
    try:
        queue_url = sqs.get_queue_url(QueueName=args.name)["QueueUrl"]
    except Exception as exc:  # noqa: BLE001 - every failure is explained in one line
        print(redact(explain(exc, endpoint, args.name)), file=sys.stderr)
        return 1
    print(f"Connected to {args.name}", file=out, flush=True)
    try:
        if args.receive:
            return receive(sqs, queue_url, args, out, record)
        return send(sqs, queue_url, args, out)
    except Exception as exc:  # noqa: BLE001
        if exc.__class__.__module__.startswith(("botocore", "boto3", "urllib3")):
            print(redact(explain(exc, endpoint, args.name)), file=sys.stderr)
            return 1
        raise
    finally:
        if record:
            record[0].close()


def fresh_start(sqs: Any, endpoint: str | None) -> str:
    """Empty every queue of the client's account (the class account for the CLI) and forget
    their FIFO deduplication; one line saying what was done. StackError on AWS."""
    from labkit.stack.clients import CLASS_ACCOUNT, client_account
    from labkit.stack.emulator_admin import EmulatorAdmin, is_aws_endpoint
    from labkit.stack.errors import StackError

    if endpoint is None or is_aws_endpoint(endpoint):
        raise StackError(
            "--fresh needs the lab's SQS emulator: on AWS a FIFO queue remembers bodies for 5 "
            'minutes whatever you do; send new ones with --prepend "A-" instead'
        )
    account = client_account(sqs)
    answer = EmulatorAdmin(endpoint, account=account).reset()
    names = answer.get("queues", [])
    whose = "the class account" if account == CLASS_ACCOUNT else f"account {account}"
    listed = f" ({', '.join(names)})" if names else ""
    return (
        f"Fresh start: emptied {len(names)} queue(s) of {whose}{listed}: "
        f"{answer.get('messages', 0)} message(s) removed, FIFO deduplication forgotten"
    )


#: Response header with which the emulator marks sends it deduplicated (AWS sends none).
DEDUP_HEADER = "x-labkit-deduplicated"


def _deduplicated(reply: dict[str, Any]) -> int:
    headers = reply.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    try:
        return int(headers.get(DEDUP_HEADER, 0))
    except ValueError:
        return 0


def dedup_note(name: str, deduplicated: int, count: int) -> str | None:
    """The one line a FIFO publisher prints when the queue dropped its sends as duplicates."""
    if not deduplicated:
        return None
    share = "All" if deduplicated == count else f"{deduplicated} of"
    return (
        f"{share} {count} messages were deduplicated: {name} saw the same bodies in the last "
        'five minutes, so nothing new was queued; send new bodies with --prepend "A-", or run '
        "`labkit queue --fresh` to empty the class queues and forget deduplication"
    )


class _Pace:
    """Keeps sends at ``rate`` per second on an absolute schedule (no drift); None: no wait."""

    def __init__(self, rate: float | None) -> None:
        self.rate = rate
        self.start = time.monotonic()

    def wait(self, sent: int) -> None:
        if self.rate:
            delay = self.start + sent / self.rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def send(sqs: Any, queue_url: str, args: argparse.Namespace, out: TextIO) -> int:
    """Send `{prepend}Message {i}` for i in 0..count-1, each with the `client` attribute."""
    from tqdm import tqdm

    fifo = args.name.endswith(".fifo")
    pace = _Pace(getattr(args, "rate", None))
    deduplicated = 0
    extra = {"MessageGroupId": "default"} if fifo else {}
    attributes = {"client": {"DataType": "String", "StringValue": args.client_name}}
    print("Sending Messages:", file=out, flush=True)
    bar = tqdm(total=args.count, desc="Working...", file=sys.stderr)
    if args.batch:
        for start in range(0, args.count, 10):
            pace.wait(start)
            entries = [
                {
                    "Id": str(i),
                    "MessageBody": f"{args.prepend}Message {i}",
                    "MessageAttributes": attributes,
                    **extra,
                }
                for i in range(start, min(start + 10, args.count))
            ]
            result = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
            deduplicated += _deduplicated(result)
            if result.get("Failed"):
                failed = result["Failed"][0]
                bar.close()
                print(
                    f"SQS refused message {failed['Id']}: {failed.get('Message')}", file=sys.stderr
                )
                return 1
            bar.update(len(entries))
    else:
        for i in range(args.count):
            pace.wait(i)
            reply = sqs.send_message(
                QueueUrl=queue_url,
                MessageBody=f"{args.prepend}Message {i}",
                MessageAttributes=attributes,
                **extra,
            )
            deduplicated += _deduplicated(reply)
            bar.update(1)
    bar.close()
    note = dedup_note(args.name, deduplicated, args.count) if fifo else None
    if note:
        print(note, file=out, flush=True)
    return 0


def receive(
    sqs: Any,
    queue_url: str,
    args: argparse.Namespace,
    out: TextIO,
    record: tuple[TextIO, Any] | None = None,
) -> int:
    """Receive, print `[HH:MM:SS] client: body`, delete; until Ctrl-C or `--max-idle`.

    ``record`` is the opened `--record` file (opened here when not given).
    """
    seen: set[str] = set()
    received = duplicates = 0
    if record is None:
        record = _open_record(args.record)
    print("Waiting for messages...", file=out, flush=True)
    last = time.monotonic()
    try:
        while args.max_idle is None or time.monotonic() - last < args.max_idle:
            reply = sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=1,
                MessageAttributeNames=["client"],
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
            messages = reply.get("Messages", [])
            for message in messages:
                now = time.time()
                client = (
                    message.get("MessageAttributes", {})
                    .get("client", {})
                    .get("StringValue", "unknown")
                )
                body = message.get("Body", "")
                received += 1
                if message["MessageId"] in seen:
                    duplicates += 1
                seen.add(message["MessageId"])
                print(
                    f"[{time.strftime('%H:%M:%S', time.localtime(now))}] "
                    f"{terminal_safe(client)}: {terminal_safe(body)}",
                    file=out,
                    flush=True,
                )
                if record:
                    match = NUMBER.search(body)
                    record[1].writerow(
                        [
                            f"{now:.6f}",
                            spreadsheet_safe(client),
                            spreadsheet_safe(body),
                            match.group(1) if match else "",
                            message["MessageId"],
                            message.get("Attributes", {}).get("ApproximateReceiveCount", ""),
                        ]
                    )
                    record[0].flush()
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            if messages:  # idle means waiting without messages, not the time spent on them
                last = time.monotonic()
    except KeyboardInterrupt:
        pass
    finally:
        if record:
            record[0].close()
    print(f"Stopped: received {received}, duplicates {duplicates}", file=out, flush=True)
    return 0


def _open_record(path: Path | None) -> tuple[TextIO, Any] | None:
    if path is None:
        return None
    # O_NOFOLLOW: a symlink planted at the path (to ~/.bashrc, say) is refused, not written
    # through. The error is an OSError like any unwritable path, reported by the caller.
    # O_NONBLOCK: a FIFO with no reader would block the open for ever; it is refused below.
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        fd = os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(exc.errno, "it is a symbolic link (not followed)") from None
        if exc.errno == errno.ENXIO:
            raise OSError(exc.errno, "it is a named pipe, not a file") from None
        raise
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise OSError(errno.EINVAL, "it is not a regular file")
    os.set_blocking(fd, True)
    new = info.st_size == 0
    handle = open(fd, "a", newline="")  # noqa: SIM115 - closed by receive()
    writer = csv.writer(handle)
    if new:
        writer.writerow(RECORD_FIELDS)
        handle.flush()
    return handle, writer
