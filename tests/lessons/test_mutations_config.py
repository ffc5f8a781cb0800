"""Mutation tests of the configuration checks: 07's aws_sqs_queue blocks and 08's subscription
and filter policy (on the session's emulator). Each typical mistake, an edit of the worked
solution, is refused with a hint that names it."""

from __future__ import annotations

import pytest

from labkit.lessons.grading import checker
from tests.lessons.lesson_code import cell_containing, edited, written_file
from tests.lessons.mutations import judged
from tests.lessons.mutations import mistake as m

# a sweep of every catalogued mistake (about two minutes of CPU in all): make test-extended
pytestmark = pytest.mark.extended

SQS_TF = written_file("07", "student_sqs.tf")
FIFO_FLAG = "  fifo_queue                  = true\n"
DEDUP = "  content_based_deduplication = true\n"
VISIBILITY = "  visibility_timeout_seconds = 300"
ICAL = 'resource "aws_sqs_queue" "ical_queue" {'
SQS_BLOCKS = [
    m("no fifo_queue", "needs fifo_queue = true", (FIFO_FLAG, "")),
    m(
        "fifo_queue = false",
        "needs fifo_queue = true",
        (FIFO_FLAG, FIFO_FLAG.replace("true", "false")),
    ),
    m("no content-based deduplication", "content_based_deduplication = true", (DEDUP, "")),
    m("ical left out", "missing: ical", (SQS_TF[SQS_TF.index(ICAL) :], "")),
    m(
        "FIFO name without .fifo",
        "must end in .fifo",
        ('"csse6400_prac.fifo"', '"csse6400_prac_fifo"'),
    ),
    m(
        "standard queue misnamed",
        "missing: csse6400_prac",
        ('name = "csse6400_prac"', 'name = "csse6400-prac"'),
    ),
    m("ical at the default 30 s", "visibility timeout is 30 s (SQS's default)", (VISIBILITY, "")),
    m(
        "ical as long as the job",
        "longer than the 50 s job",
        (VISIBILITY, VISIBILITY.replace("300", "50")),
    ),
    m(
        "visibility argument misnamed",
        "did you mean visibility_timeout_seconds",
        (VISIBILITY, "  visibility_timeout = 300"),
    ),
    m(
        "ical made FIFO",
        "ical is a standard queue",
        (ICAL + "\n", ICAL + "\n  fifo_queue = true\n"),
    ),
    m(
        "deduplication on the standard queue",
        "for FIFO queues only",
        ('name = "csse6400_prac"\n', 'name = "csse6400_prac"\n' + DEDUP),
    ),
]


@pytest.mark.parametrize("item", [pytest.param(i, id=i.name) for i in SQS_BLOCKS])
def test_07_mistake_is_refused_with_its_hint(lab, tmp_path, monkeypatch, item) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "student_sqs.tf").write_text(edited(SQS_TF, *item.edits))
    judged("07.sqs_blocks", item, checker.evaluate("07.sqs_blocks", "student_sqs.tf"))


@pytest.fixture
def events(lab):
    """Lesson 08's setup cell: the topic, its queues, and the exercise's todo-events-mine."""
    from labkit.lessons import lesson_08 as ev

    events = ev.setup(lab)
    mine = lab.sqs.create_queue(QueueName="todo-events-mine")["QueueUrl"]
    work = lab.sqs.create_queue(QueueName="csse6400_lesson08_work")["QueueUrl"]
    return events, {
        "events": events,
        "sns": events.sns,
        "sqs": events.sqs,
        "MINE": mine,
        "WORK": work,
    }


SUBSCRIBE = cell_containing("08", "my_subscription = sns.subscribe(").split("assert")[0]
RAW = 'Attributes={"RawMessageDelivery": "true"},'
ARN = '["SubscriptionArn"]'
SUBSCRIPTION = [
    m("no raw delivery", "RawMessageDelivery", (RAW, "")),
    m(
        "raw delivery false",
        "RawMessageDelivery",
        ('"RawMessageDelivery": "true"', '"RawMessageDelivery": "false"'),
    ),
    m("the whole reply", "['SubscriptionArn']", (ARN, "")),
    m("the topic's ARN", "the topic's ARN", (ARN, "\nmy_subscription = events.topic_arn")),
    m("the queue's ARN", "the queue's ARN", (ARN, "\nmy_subscription = events.queue_arn(MINE)")),
    m("the queue's URL", "subscription's ARN", (ARN, "\nmy_subscription = MINE")),
    m(
        "another queue",
        "not to todo-events-mine",
        ("events.queue_arn(MINE)", "events.queue_arn(WORK)"),
    ),
    m(
        "a filter policy",
        "remove its FilterPolicy",
        (RAW, RAW[:-2] + ', "FilterPolicy": \'{"event": ["todo.created"]}\'},'),
    ),
]


@pytest.mark.parametrize("item", [pytest.param(i, id=i.name) for i in SUBSCRIPTION])
def test_08_subscribe_mistake_is_refused_and_cleared(events, item) -> None:
    events, namespace = events
    exec(edited(SUBSCRIBE, *item.edits), namespace)  # noqa: S102 - the lesson's own cell
    judged(
        "08.subscribe",
        item,
        checker.evaluate("08.subscribe", namespace["my_subscription"], data=events),
    )
    exec(SUBSCRIBE, namespace)  # noqa: S102 - the right answer next: nothing left in its way
    assert checker.evaluate("08.subscribe", namespace["my_subscription"], data=events)


POLICY = cell_containing("08", "my_policy = {").split("assert")[0]
PRIORITY = '[{"numeric": [">=", 3]}]'
FILTER_POLICY = [
    m("priority as text", "Number attribute", (PRIORITY, '["3"]')),
    m("comparison outside numeric", "inside a numeric condition", (PRIORITY, '[">=", 3]')),
    m("priority exactly 3", "matches exactly", (PRIORITY, "[3]")),
    m("strictly more than 3", "priority 3 was filtered out", ('">="', '">"')),
    m(
        "event misspelt",
        "todo.completed event with priority 5 was filtered out",
        ('"todo.completed"', '"todo.complete"'),
    ),
    m("event not in a list", "each value is a list", ('["todo.completed"]', '"todo.completed"')),
    m("Event capitalised", "case-sensitive", ('"event"', '"Event"')),
    m("no priority condition", "priority 2 got through", (', "priority": ' + PRIORITY, "")),
    m(
        "no event condition",
        "todo.created event with priority 5 got through",
        ('"event": ["todo.completed"], ', ""),
    ),
    m("comparison reversed", "priority 5 was filtered out", ('">="', '"<="')),
    m(
        "two events",
        "todo.created event with priority 5 got through",
        ('["todo.completed"]', '["todo.completed", "todo.created"]'),
    ),
]


@pytest.mark.parametrize("item", [pytest.param(i, id=i.name) for i in FILTER_POLICY])
def test_08_filter_policy_mistake_is_refused_with_its_hint(events, item) -> None:
    events, namespace = events
    exec(edited(POLICY, *item.edits), namespace)  # noqa: S102 - the lesson's own cell
    judged(
        "08.filter_policy",
        item,
        checker.evaluate("08.filter_policy", namespace["my_policy"], data=events),
    )
