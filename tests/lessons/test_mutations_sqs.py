"""Mutation tests of the plain-boto3 checks (01 publisher and subscriber, 02 FIFO sender, 03
idempotent consumer): each typical mistake, an edit of the worked solution, is refused with a
hint that names it. The score is added up in tests/conftest.py."""

from __future__ import annotations

import pytest

from labkit.lessons.grading import checker
from tests.lessons.lesson_code import cell_defining, mistake
from tests.lessons.mutations import judged
from tests.lessons.mutations import mistake as m

# a sweep of every catalogued mistake (about two minutes of CPU in all): make test-extended
pytestmark = pytest.mark.extended

SEND = 'MessageBody=f"Message {i}"'
PUBLISHER = [
    m("counts from 1", "off by one", ("range(count)", "range(1, count + 1)")),
    m("one message short", "off by one", ("range(count)", "range(count - 1)")),
    m("ignores count", "count", ("range(count)", "range(10)")),
    m("sends only one", "sent 1 of 12", ("for i in range(count):", "for i in [0]:")),
    m("no client attribute", "String message attribute", (", MessageAttributes=attributes", "")),
    m("attribute misnamed", "named 'client'", ('{"client": {', '{"Client": {')),
    m(
        "client value hard-coded",
        "the client argument",
        ('"StringValue": client', '"StringValue": "client"'),
    ),
    m("wrong body text", "'Message 0'", (SEND, 'MessageBody=f"message {i}"')),
    m(
        "sends each twice",
        "once",
        ("    for i in range(count):\n", "    for i in [*range(count)] * 2:\n"),
    ),
    m("attribute as a Number", "DataType", ('"DataType": "String"', '"DataType": "Number"')),
]

DELETE = 'sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])'
SUBSCRIBER = [
    m("no delete", "delete each one", (DELETE, "pass")),
    m("no long polling", "long polling", (", WaitTimeSeconds=1", "")),
    m("WaitTimeSeconds=0", "long polling", ("WaitTimeSeconds=1", "WaitTimeSeconds=0")),
    m("a single receive", "keep receiving", ("while empty_polls < 2:", "for _ in range(1):")),
    m(
        "delete by MessageId",
        "ReceiptHandle, not",
        ('ReceiptHandle=message["ReceiptHandle"]', 'ReceiptHandle=message["MessageId"]'),
    ),
    m(
        "returns the messages",
        "message['Body']",
        ('bodies.append(message["Body"])', "bodies.append(message)"),
    ),
    m("returns nothing", "return the list", ("    return bodies", "    return None")),
    m("returns a count", "return the list", ("    return bodies", "    return len(bodies)")),
    m(
        "bodies of the last poll only",
        "collect the bodies",
        (
            '        messages = reply.get("Messages", [])\n',
            '        messages = reply.get("Messages", [])\n        bodies = []\n',
        ),
    ),
]

ORDER_ID = "f\"{order['customer']}-{order['order']}\""
GROUP = 'MessageGroupId=order["customer"]'
FIFO_SENDER = [
    m("one group for all", "one group", (GROUP, 'MessageGroupId="default"')),
    m(
        "random deduplication id",
        "arrived twice",
        ("import json", "import json\nimport uuid"),
        (ORDER_ID, "str(uuid.uuid4())"),
    ),
    m(
        "deduplication id = customer",
        "shared a MessageDeduplicationId",
        (ORDER_ID, 'order["customer"]'),
    ),
    m(
        "deduplication id = order number",
        "shared a MessageDeduplicationId",
        (ORDER_ID, "str(order['order'])"),
    ),
    m("deduplication id = item", "letters, digits and punctuation", (ORDER_ID, "order['item']")),
    m(
        "no deduplication id",
        "give every send a MessageDeduplicationId",
        (f"MessageDeduplicationId={ORDER_ID},", ""),
    ),
    m("no group id", "needs a MessageGroupId", (f"{GROUP},", "")),
    m(
        "group per order",
        "MessageGroupId should be the order's customer",
        (GROUP, "MessageGroupId=" + ORDER_ID),
    ),
    m("body not JSON", "as JSON", ("MessageBody=json.dumps(order)", "MessageBody=str(order)")),
    m(
        "orders sent in reverse",
        "out of order",
        ("for order in orders:", "for order in reversed(orders):"),
    ),
]

SEEN = 'if message["MessageId"] in account.applied:'
RECORD = 'account.applied.add(message["MessageId"])'
IDEMPOTENT = [
    m("never skips", "applied again", (SEEN, "if False:")),
    m("never records", "never added", (RECORD, "pass")),
    m("keyed on the body", "not on the body", ('message["MessageId"]', 'message["Body"]')),
    m(
        "keyed on the receipt handle",
        "ReceiptHandle is new on every receive",
        ('message["MessageId"]', 'message["ReceiptHandle"]'),
    ),
    m("keyed on MD5OfBody", "not on the body", ('message["MessageId"]', 'message["MD5OfBody"]')),
    m(
        "records the body, checks the id",
        "checks",
        (RECORD, 'account.applied.add(message["Body"])'),
    ),
    m(
        "records before checking",
        "before checking",
        ("    " + SEEN, "    " + RECORD + "\n    " + SEEN),
    ),
    m(
        "body not made a number",
        "int(message['Body'])",
        ('int(message["Body"])', 'message["Body"]'),
    ),
    m("sets instead of adds", "add each deposit", ("account.balance += ", "account.balance = ")),
]

CASES = [
    ("01.publisher", "01", "publish", PUBLISHER),
    ("01.subscriber", "01", "subscribe", SUBSCRIBER),
    ("02.fifo_sender", "02", "send_orders", FIFO_SENDER),
    ("03.idempotent_consumer", "03", "idempotent_deposit", IDEMPOTENT),
]


@pytest.mark.parametrize(
    ("exercise_id", "lesson", "function", "item"),
    [
        pytest.param(e, les, f, item, id=f"{e}: {item.name}")
        for e, les, f, items in CASES
        for item in items
    ],
)
def test_mistake_is_refused_with_its_hint(lab, exercise_id, lesson, function, item) -> None:
    worked = cell_defining(lesson, function)
    result = checker.evaluate(exercise_id, mistake(worked, function, *item.edits))
    judged(exercise_id, item, result)


def test_at_least_eight_mistakes_per_check() -> None:
    assert all(len(items) >= 8 for *_, items in CASES)
