"""Student-code exercises: each check passes on the worked solution and says wrong, with its
specific hint, on typical mistakes; the template is "not tried". The checks run against real
services (the session's SQS emulator and Redis, real Celery workers)."""

from __future__ import annotations

import json
import textwrap
import uuid

import pytest

from labkit.lessons import checker


@pytest.fixture
def lab(monkeypatch, sqs_endpoint, redis_url):
    """The lab the checks find: the session's services (checks never take it from the student)."""
    from labkit.stack.lab import Lab

    live = Lab(
        {
            "mode": "embedded",
            "urls": {"sqs": sqs_endpoint, "redis": redis_url},
            "env": {"CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": redis_url},
        }
    )
    monkeypatch.setattr("labkit.stack.connect", lambda: live)
    for key in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "CELERY_DEFAULT_QUEUE"):
        monkeypatch.delenv(key, raising=False)  # restored after the test, whatever it set
    return live


def right(exercise_id: str, answer) -> checker.CheckResult:
    result = checker.evaluate(exercise_id, answer)
    assert result, result.line
    return result


def wrong(exercise_id: str, answer, says: str) -> None:
    result = checker.evaluate(exercise_id, answer)
    assert result.status == checker.WRONG, result.line
    assert says in result.message, result.line


# --------------------------------------------------------------------------------------------
# 01: publisher and subscriber


def publish(sqs, queue_url, count, client):
    for i in range(count):
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=f"Message {i}",
            MessageAttributes={"client": {"DataType": "String", "StringValue": client}},
        )


def subscribe(sqs, queue_url):
    bodies, empty = [], 0
    while empty < 2:
        reply = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = reply.get("Messages", [])
        empty = 0 if messages else empty + 1
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def publish_template(sqs, queue_url, count, client):
    """Send the messages."""
    ...


def publish_from_one(sqs, queue_url, count, client):
    for i in range(1, count + 1):
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=f"Message {i}",
            MessageAttributes={"client": {"DataType": "String", "StringValue": client}},
        )


def publish_without_client(sqs, queue_url, count, client):
    for i in range(count):
        sqs.send_message(QueueUrl=queue_url, MessageBody=f"Message {i}")


def subscribe_without_delete(sqs, queue_url):
    bodies, empty = [], 0
    while empty < 2:
        reply = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        messages = reply.get("Messages", [])
        empty = 0 if messages else empty + 1
        bodies += [m["Body"] for m in messages]
    return bodies


def subscribe_short_polling(sqs, queue_url):
    bodies, empty = [], 0
    while empty < 2:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        empty = 0 if messages else empty + 1
        for message in messages:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def subscribe_once(sqs, queue_url):
    reply = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    for message in reply.get("Messages", []):
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return [m["Body"] for m in reply.get("Messages", [])]


def test_01_publisher(lab) -> None:
    result = right("01.publisher", publish)
    assert sorted(result.details) == sorted(f"Message {i}" for i in range(12))
    assert checker.evaluate("01.publisher", publish_template).status == checker.NOT_TRIED
    wrong("01.publisher", publish_from_one, "off by one")
    wrong("01.publisher", publish_without_client, "String message attribute")


def test_01_subscriber(lab) -> None:
    right("01.subscriber", subscribe)
    wrong("01.subscriber", subscribe_without_delete, "delete each one")
    wrong("01.subscriber", subscribe_short_polling, "long polling")
    wrong("01.subscriber", subscribe_once, "keep receiving")


# --------------------------------------------------------------------------------------------
# 02: a FIFO sender


def send_orders(sqs, queue_url, orders):
    for order in orders:
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=json.dumps(order),
            MessageGroupId=order["customer"],
            MessageDeduplicationId=f"{order['customer']}-{order['order']}",
        )


def send_orders_one_group(sqs, queue_url, orders):
    for order in orders:
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=json.dumps(order),
            MessageGroupId="default",
            MessageDeduplicationId=f"{order['customer']}-{order['order']}",
        )


def send_orders_random_id(sqs, queue_url, orders):
    for order in orders:
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=json.dumps(order),
            MessageGroupId=order["customer"],
            MessageDeduplicationId=str(uuid.uuid4()),
        )


def send_orders_customer_id(sqs, queue_url, orders):
    for order in orders:
        sqs.send_message(
            QueueUrl=queue_url,
            MessageBody=json.dumps(order),
            MessageGroupId=order["customer"],
            MessageDeduplicationId=order["customer"],
        )


def send_orders_no_dedup_id(sqs, queue_url, orders):
    for order in orders:
        sqs.send_message(
            QueueUrl=queue_url, MessageBody=json.dumps(order), MessageGroupId=order["customer"]
        )


def test_02_fifo_sender(lab) -> None:
    result = right("02.fifo_sender", send_orders)
    frame = result.details
    assert set(frame["group"]) == {"alice", "bob", "carol"} and len(frame) == 12
    wrong("02.fifo_sender", send_orders_one_group, "one group")
    wrong("02.fifo_sender", send_orders_random_id, "arrived twice")
    wrong("02.fifo_sender", send_orders_customer_id, "shared a MessageDeduplicationId")
    wrong("02.fifo_sender", send_orders_no_dedup_id, "give every send a MessageDeduplicationId")


# --------------------------------------------------------------------------------------------
# 03: an idempotent consumer


def idempotent_deposit(account, message):
    if message["MessageId"] in account.applied:
        return
    account.applied.add(message["MessageId"])
    account.balance += int(message["Body"])


def naive_deposit(account, message):
    account.balance += int(message["Body"])


def deposit_by_body(account, message):
    if message["Body"] in account.applied:
        return
    account.applied.add(message["Body"])
    account.balance += int(message["Body"])


def deposit_by_handle(account, message):
    if message["ReceiptHandle"] in account.applied:
        return
    account.applied.add(message["ReceiptHandle"])
    account.balance += int(message["Body"])


def test_03_idempotent_consumer(lab) -> None:
    result = right("03.idempotent_consumer", idempotent_deposit)
    kinds = set(result.details["delivery"])
    assert {"duplicate copy", "redelivered after the crash"} <= kinds
    wrong("03.idempotent_consumer", naive_deposit, "applied again")
    wrong("03.idempotent_consumer", deposit_by_body, "not on the body")
    wrong("03.idempotent_consumer", deposit_by_handle, "ReceiptHandle is new on every receive")


# --------------------------------------------------------------------------------------------
# 04: the handout's Celery task, in a module of the student's

TASKS_MODULE = """
import os

from celery import Celery

celery = Celery(__name__)
celery.conf.broker_url = os.environ.get("CELERY_BROKER_URL")
celery.conf.result_backend = os.environ.get("CELERY_RESULT_BACKEND")
celery.conf.task_default_queue = os.environ.get("CELERY_DEFAULT_QUEUE", "ical")


@celery.task(name="ical")
def create_ical(tasks):
    return "Hello World"
"""


def _student_module(tmp_path, monkeypatch, name: str, source: str):
    import importlib

    (tmp_path / f"{name}.py").write_text(textwrap.dedent(source))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()


def test_04_ical_task(lab, tmp_path, monkeypatch) -> None:
    from labkit.lessons import celery_lab

    _student_module(tmp_path, monkeypatch, "student_tasks_t04", TASKS_MODULE)
    worker = celery_lab.start_student_worker(
        lab, "student_tasks_t04", f"t04-{uuid.uuid4().hex[:6]}"
    )
    assert worker is not None
    try:
        import student_tasks_t04

        todos = [{"id": 1, "title": "Project Proposal"}]
        right("04.ical_task", student_tasks_t04.create_ical.delay(todos))
        wrong("04.ical_task", student_tasks_t04.create_ical(todos), "ran create_ical here")
    finally:
        worker.stop()


def test_04_typical_mistakes(lab, tmp_path, monkeypatch) -> None:
    import importlib

    from labkit.lessons import celery_lab

    source = TASKS_MODULE.replace('@celery.task(name="ical")', "@celery.task")
    source = source.replace("celery.conf.result_backend = ", "unused = ")
    _student_module(tmp_path, monkeypatch, "student_tasks_t04b", source)
    monkeypatch.setenv("CELERY_BROKER_URL", lab.env["CELERY_BROKER_URL"])
    module = importlib.import_module("student_tasks_t04b")
    wrong("04.ical_task", module.create_ical.delay([]), "name it as the handout does")
    no_argument = TASKS_MODULE.replace("def create_ical(tasks):", "def create_ical():")
    _student_module(tmp_path, monkeypatch, "student_tasks_t04c", no_argument)
    module = importlib.import_module("student_tasks_t04c")
    wrong("04.ical_task", module.create_ical.delay(), "keep the handout's signature")
    assert celery_lab.start_student_worker(lab, "student_tasks_t04_missing", "t04-none") is None


# --------------------------------------------------------------------------------------------
# 05: create_ical(tasks) and the three routes

ICAL_MODULE = """
import datetime
import os

import icalendar
from celery import Celery

celery = Celery(__name__)
celery.conf.broker_url = os.environ.get("CELERY_BROKER_URL")
celery.conf.result_backend = os.environ.get("CELERY_RESULT_BACKEND")
celery.conf.task_default_queue = os.environ.get("CELERY_DEFAULT_QUEUE", "ical")


@celery.task(name="ical")
def create_ical(tasks):
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Taskoverflow Calendar//mxm.dk//")
    cal.add("version", "2.0")
    for task in tasks:
        if not task["deadline_at"]:
            continue
        event = icalendar.Event()
        event.add("uid", task["id"])
        event.add("dtstamp", datetime.datetime.now(datetime.timezone.utc))
        event.add("summary", task["title"])
        if task["description"]:
            event.add("description", task["description"])
        event.add("dtstart", datetime.datetime.strptime(task["deadline_at"], "%Y-%m-%dT%H:%M:%S"))
        cal.add_component(event)
    return cal.to_ical().decode("utf-8")
"""

ROUTES_MODULE = """
from celery.result import AsyncResult
from flask import Blueprint, jsonify, request

import student_ical as ical
from labkit.taskoverflow.models import Todo

api = Blueprint("student_api", __name__, url_prefix="/api/v1")


@api.route("/todos/ical", methods=["POST"])
def create_ical():
    todos = Todo.query.order_by(Todo.created_at.desc()).all()
    task = ical.create_ical.delay([todo.to_dict() for todo in todos])
    result = {"task_id": task.id, "task_url": f"{request.host_url}api/v1/todos/ical/{task.id}/status"}
    return jsonify(result), 202


@api.route("/todos/ical/<task_id>/status", methods=["GET"])
def get_task(task_id):
    task_result = AsyncResult(task_id, app=ical.celery)
    result = {
        "task_id": task_id,
        "task_status": task_result.status,
        "result_url": f"{request.host_url}api/v1/todos/ical/{task_id}/result",
    }
    return jsonify(result), 200


@api.route("/todos/ical/<task_id>/result", methods=["GET"])
def get_calendar(task_id):
    task_result = AsyncResult(task_id, app=ical.celery)
    if task_result.status == "SUCCESS":
        return task_result.result, 200, {"Content-Type": "text/calendar"}
    return jsonify({"error": "Task not finished"}), 404
"""


def _calendar_case(tmp_path, monkeypatch, ical: str, routes: str) -> None:
    folder = tmp_path / uuid.uuid4().hex[:6]
    folder.mkdir()
    (folder / "student_ical.py").write_text(ical)
    (folder / "student_routes.py").write_text(routes)
    monkeypatch.chdir(folder)


def test_05_calendar_routes(lab, tmp_path, monkeypatch) -> None:
    import icalendar

    _calendar_case(tmp_path, monkeypatch, ICAL_MODULE, ROUTES_MODULE)
    result = right("05.calendar_routes", "student_routes.py")
    events = icalendar.Calendar.from_ical(result.details).walk("VEVENT")
    assert sorted(str(e["SUMMARY"]) for e in events) == ["Project Proposal", "Queue prac"]


def test_05_typical_mistakes(lab, tmp_path, monkeypatch) -> None:
    handout = ICAL_MODULE.replace('        if not task["deadline_at"]:\n            continue\n', "")
    _calendar_case(tmp_path, monkeypatch, handout, ROUTES_MODULE)
    wrong("05.calendar_routes", "student_routes.py", "has no deadline_at")
    no_stamp = ICAL_MODULE.replace('        event.add("dtstamp"', '        # ("dtstamp"')
    _calendar_case(tmp_path, monkeypatch, no_stamp, ROUTES_MODULE)
    wrong("05.calendar_routes", "student_routes.py", "no DTSTAMP (RFC 5545")
    ok_200 = ROUTES_MODULE.replace("return jsonify(result), 202", "return jsonify(result)")
    _calendar_case(tmp_path, monkeypatch, ICAL_MODULE, ok_200)
    wrong("05.calendar_routes", "student_routes.py", "a job accepted is 202")


def test_05_template_is_not_tried(lab, tmp_path, monkeypatch) -> None:
    stubs = ROUTES_MODULE.split("@api.route")[0] + textwrap.dedent(
        """
        @api.route('/todos/ical', methods=['POST'])
        def create_ical():
            pass

        @api.route('/todos/ical/<task_id>/status', methods=['GET'])
        def get_task(task_id):
            pass

        @api.route('/todos/ical/<task_id>/result', methods=['GET'])
        def get_calendar(task_id):
            pass
        """
    )
    _calendar_case(tmp_path, monkeypatch, ICAL_MODULE, stubs)
    assert checker.evaluate("05.calendar_routes", "student_routes.py").status == checker.NOT_TRIED


# --------------------------------------------------------------------------------------------
# 06: Celery on SQS with a database backend


def test_06_sqs_settings(lab, tmp_path) -> None:
    results = f"db+sqlite:///{tmp_path / 'results.sqlite'}"
    right("06.sqs_settings", {"CELERY_BROKER_URL": "sqs://", "CELERY_RESULT_BACKEND": results})
    template = {"CELERY_BROKER_URL": ..., "CELERY_RESULT_BACKEND": ...}
    assert checker.evaluate("06.sqs_settings", template).status == checker.NOT_TRIED
    wrong(
        "06.sqs_settings",
        {"CELERY_BROKER_URL": "sqs://", "CELERY_RESULT_BACKEND": None},
        "no result backend",
    )
    wrong(
        "06.sqs_settings",
        {"CELERY_BROKER_URL": "sqs://", "CELERY_RESULT_BACKEND": "sqs://"},
        "cannot store results",
    )
    wrong(
        "06.sqs_settings",
        {"CELERY_BROKER_URL": "sqs://", "CELERY_RESULT_BACKEND": results.removeprefix("db+")},
        "with db+ in front",
    )
    wrong(
        "06.sqs_settings",
        {"CELERY_BROKER_URL": "redis://localhost:6379", "CELERY_RESULT_BACKEND": results},
        "that broker is Redis",
    )


# --------------------------------------------------------------------------------------------
# 07: the aws_sqs_queue blocks

SQS_TF = """
resource "aws_sqs_queue" "our_first_mailbox" {
  name = "csse6400_prac"
}

resource "aws_sqs_queue" "our_first_fifo" {
  name                        = "csse6400_prac.fifo"
  fifo_queue                  = true
  content_based_deduplication = true
}

resource "aws_sqs_queue" "ical_queue" {
  name = "ical"
}
"""


def test_07_sqs_blocks(lab, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "student_sqs.tf"
    path.write_text("# your aws_sqs_queue blocks\n")
    assert checker.evaluate("07.sqs_blocks", "student_sqs.tf").status == checker.NOT_TRIED
    path.write_text(SQS_TF)
    result = right("07.sqs_blocks", "student_sqs.tf")
    assert sorted(q.name for q in result.details) == ["csse6400_prac", "csse6400_prac.fifo", "ical"]
    assert not [u for u in lab.sqs.list_queues().get("QueueUrls", []) if "check07-" in u]
    path.write_text(SQS_TF.replace("  fifo_queue                  = true\n", ""))
    wrong("07.sqs_blocks", "student_sqs.tf", "needs fifo_queue = true")
    path.write_text(SQS_TF.replace("  content_based_deduplication = true\n", ""))
    wrong("07.sqs_blocks", "student_sqs.tf", "content_based_deduplication = true")
    path.write_text(SQS_TF.split('resource "aws_sqs_queue" "ical_queue"')[0])
    wrong("07.sqs_blocks", "student_sqs.tf", "missing: ical")
