"""Lesson 08's helpers and exercise checks, on the session's emulator (SNS on its port)."""

from __future__ import annotations

import json
import types

import pytest

from labkit.lessons import lesson_08 as ev
from labkit.lessons.grading import checker as check
from labkit.stack.clients import emulator_client
from labkit.terraform import ensure_queues, queue_definitions
from labkit.terraform.topics import allow_topic, ensure_topics, topic_definitions


@pytest.fixture(scope="module")
def events(sqs_endpoint: str, account: str) -> ev.EventsLab:
    """The terraform topic and queues on the emulator, as `events.setup` makes them (in the
    module's account)."""
    sqs = emulator_client(sqs_endpoint, account=account)
    sns = emulator_client(sqs_endpoint, service="sns", account=account)
    queues = ensure_queues(sqs, [q for q in queue_definitions() if q.name in ev.SUBSCRIBERS])
    made = ensure_topics(sns, sqs, [t for t in topic_definitions() if t.name == ev.TOPIC])
    mine = sqs.create_queue(QueueName=ev.MINE)["QueueUrl"]
    allow_topic(sqs, mine, made[ev.TOPIC]["arn"])  # what ev.setup gives it (as AWS needs)
    lab = ev.EventsLab(sns, sqs, made[ev.TOPIC]["arn"], queues, emulator=True)
    for url in queues.values():
        ev.receive_all(sqs, url)
    return lab


def test_routing_follows_the_terraform_filter_policies(events: ev.EventsLab) -> None:
    for todo, kind in enumerate(ev.EVENTS):
        events.publish(kind, todo=todo)
    got = events.received()
    table = got.groupby("queue")["event"].apply(sorted).to_dict()
    assert table["todo-events-audit"] == sorted(ev.EVENTS)
    assert table["todo-events-calendar"] == ["todo.created", "todo.deleted", "todo.updated"]
    assert table["todo-events-email"] == ["todo.completed", "todo.created"]
    audit = got[got["queue"] == "todo-events-audit"]
    assert audit["envelope"].all() and audit["message_id"].notna().all()


def test_subscribe_check_right_and_typical_mistakes(events: ev.EventsLab) -> None:
    sns, sqs = events.sns, events.sqs
    mine = sqs.get_queue_url(QueueName="todo-events-mine")["QueueUrl"]
    assert check.evaluate("08.subscribe", ..., data=events).status == check.NOT_TRIED
    reply = sns.subscribe(
        TopicArn=events.topic_arn, Protocol="sqs", Endpoint=events.queue_arn(mine)
    )
    wrong = check.evaluate("08.subscribe", reply, data=events)
    assert not wrong and "['SubscriptionArn']" in wrong.message
    reply = sns.subscribe(  # the wrong try was removed: subscribe again, still without raw
        TopicArn=events.topic_arn, Protocol="sqs", Endpoint=events.queue_arn(mine)
    )
    wrong = check.evaluate("08.subscribe", reply["SubscriptionArn"], data=events)
    assert not wrong and "RawMessageDelivery" in wrong.message and "removed" in wrong.message
    reply = sns.subscribe(  # refused as "already exists" had the wrong try not been removed
        TopicArn=events.topic_arn,
        Protocol="sqs",
        Endpoint=events.queue_arn(mine),
        Attributes={"RawMessageDelivery": "true"},
    )
    assert check.evaluate("08.subscribe", reply["SubscriptionArn"], data=events)
    other = sns.list_subscriptions_by_topic(TopicArn=events.topic_arn)["Subscriptions"][0]
    wrong = check.evaluate("08.subscribe", other["SubscriptionArn"], data=events)
    assert not wrong and "not to todo-events-mine" in wrong.message
    wrong = check.evaluate("08.subscribe", reply["SubscriptionArn"], data=events)
    assert not wrong and "no such subscription" in wrong.message


def test_setup_removes_a_students_earlier_subscription(sqs_endpoint: str) -> None:
    """Re-running lesson 08's setup cell clears exercise 1's tries (SNS would refuse the right
    subscribe as "already exists with different attributes")."""
    from labkit.stack.lab import Lab

    lab = Lab({"mode": "embedded", "urls": {"sqs": sqs_endpoint}, "env": {}})
    events = ev.setup(lab)
    mine = events.sqs.create_queue(QueueName="todo-events-mine")["QueueUrl"]
    arn = events.queue_arn(mine)
    events.sns.subscribe(TopicArn=events.topic_arn, Protocol="sqs", Endpoint=arn)
    events = ev.setup(lab)
    endpoints = [
        s["Endpoint"]
        for s in events.sns.list_subscriptions_by_topic(TopicArn=events.topic_arn)["Subscriptions"]
    ]
    assert arn not in endpoints and len(endpoints) == len(ev.SUBSCRIBERS)


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        ({"event": "todo.completed", "priority": [{"numeric": [">=", 3]}]}, "list of conditions"),
        ({"event": ["todo.completed"], "priority": ["3", "4", "5"]}, "Number attribute"),
        ({"Event": ["todo.completed"], "priority": [{"numeric": [">=", 3]}]}, "case-sensitive"),
        ({"event": ["todo.completed"]}, "priority 2 got through"),
        (
            {"event": ["todo.completed"], "priority": [{"numeric": [">", 3]}]},
            "priority 3 was filtered out",
        ),
        ({"event": [{"prefix": "todo."}], "priority": [{"numeric": [">=", 3]}]}, "todo.created"),
        ({"event": ["todo.completed"], "priority": [{"numeric": [">=", "3"]}]}, "SNS refused"),
        ("{not json", "as a dict"),
    ],
)
def test_filter_policy_check_names_the_mistake(events: ev.EventsLab, policy, words) -> None:
    result = check.evaluate("08.filter_policy", policy, data=events)
    assert not result and words in result.message, result.message


def test_filter_policy_check_accepts_dict_or_json(events: ev.EventsLab) -> None:
    policy = {"event": ["todo.completed"], "priority": [{"numeric": [">=", 3]}]}
    assert check.evaluate("08.filter_policy", policy, data=events)
    assert check.evaluate("08.filter_policy", json.dumps(policy), data=events)
    assert check.evaluate("08.filter_policy", ..., data=events).status == check.NOT_TRIED


def test_subscribe_check_names_the_queue_policy(events: ev.EventsLab) -> None:
    """SNS delivers only where the queue's policy lets the topic send, offline as on AWS."""
    sns, sqs = events.sns, events.sqs
    mine = sqs.get_queue_url(QueueName=ev.MINE)["QueueUrl"]
    sqs.set_queue_attributes(QueueUrl=mine, Attributes={"Policy": ""})
    reply = sns.subscribe(
        TopicArn=events.topic_arn,
        Protocol="sqs",
        Endpoint=events.queue_arn(mine),
        Attributes={"RawMessageDelivery": "true"},
    )
    try:
        wrong = check.evaluate("08.subscribe", reply["SubscriptionArn"], data=events)
        assert not wrong and "aws_sqs_queue_policy" in wrong.message, wrong.message
        allow_topic(sqs, mine, events.topic_arn)
        assert check.evaluate("08.subscribe", reply["SubscriptionArn"], data=events)
    finally:
        sns.unsubscribe(SubscriptionArn=reply["SubscriptionArn"])


def test_filter_policy_check_on_aws_says_policies_take_time(
    events: ev.EventsLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    from labkit.lessons.grading.exercises import lesson_08 as exercises

    monkeypatch.setattr(exercises, "AWS_PROBE_WAIT", 1)
    on_aws = ev.EventsLab(events.sns, events.sqs, events.topic_arn, events.queues, False)
    result = check.evaluate("08.filter_policy", {"event": ["todo.completed"]}, data=on_aws)
    assert not result and "15 minutes" in result.message, result.message


def test_copies_question() -> None:
    assert check.evaluate("08.copies", 60)
    assert not check.evaluate("08.copies", 20)


def test_brokers_that_are_absent_skip_with_a_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    no_redis = types.SimpleNamespace(mode="aws", urls={"sqs": "x"})
    with pytest.raises(ev.Unavailable, match="no Redis"):
        ev.redis_client(no_redis)
    monkeypatch.delenv("LABKIT_AMQP_URL", raising=False)
    with pytest.raises(ev.Unavailable, match="LABKIT_AMQP_URL is not set"):
        ev.amqp_url()
    from labkit.net import free_port

    monkeypatch.setenv("LABKIT_AMQP_URL", f"amqp://guest:guest@127.0.0.1:{free_port()}//")
    with pytest.raises(ev.Unavailable, match="no RabbitMQ answers"):
        ev.amqp_url()


def test_redis_pubsub_loses_what_a_queue_keeps(events: ev.EventsLab, redis_url: str) -> None:
    lab = types.SimpleNamespace(mode="embedded", urls={"redis": redis_url})
    table = ev.pubsub_versus_queue(lab, events)
    late = "received by the consumer that started later"
    assert table.loc["Redis pub/sub", late] == 0
    assert table.loc["SNS -> SQS queue", late] == 1
    assert len(ev.stream_replay(lab, count=4)) == 4


def test_technology_table_covers_the_handout() -> None:
    table = ev.technologies(redis_here=True, amqp_here=False, aws=False)
    assert {"Amazon SQS standard", "Amazon SNS standard", "Amazon MQ / RabbitMQ"} <= set(
        table.index
    )
    assert {"Amazon MSK / Kafka", "Redis pub/sub", "Redis streams"} <= set(table.index)
    assert list(table.columns) == [
        "ordering",
        "delivery",
        "retention",
        "fan-out",
        "replay",
        "try here",
    ]
    assert table.loc["Redis pub/sub", "try here"] == "yes"
    assert table.loc["Amazon MQ / RabbitMQ", "try here"].startswith("no")


def test_rabbitmq_fanout_copies_into_every_bound_queue() -> None:
    """Runs where LABKIT_AMQP_URL points at a RabbitMQ (the course machine has one)."""
    try:
        url = ev.amqp_url()
    except ev.Unavailable as reason:
        pytest.skip(str(reason))
    table = ev.amqp_fanout(url)
    assert list(table.index) == list(ev.SUBSCRIBERS)
    assert all(body == {"event": "todo.created", "todo": 1} for body in table["received"])


def test_checks_without_data_say_what_to_pass() -> None:
    for exercise_id in ("08.subscribe", "08.filter_policy"):
        result = check.evaluate(exercise_id, "arn:aws:sns:us-east-1:000000000000:x:y")
        assert not result and "data=events" in result.message
