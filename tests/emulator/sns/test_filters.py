"""Filter policies: the matching rules AWS documents, then routing over HTTP."""

from __future__ import annotations

import json

import pytest

from labkit.emulator.sns import filters
from labkit.emulator.sns.errors import Detail
from tests.emulator.sns.conftest import bodies


def attrs(**values) -> dict:
    out = {}
    for name, value in values.items():
        if isinstance(value, list):
            out[name] = {"DataType": "String.Array", "StringValue": json.dumps(value)}
        elif isinstance(value, int | float):
            out[name] = {"DataType": "Number", "StringValue": str(value)}
        else:
            out[name] = {"DataType": "String", "StringValue": value}
    return out


def passes(policy: dict, message_attributes: dict, body: str = "x", scope="MessageAttributes"):
    return filters.matches(
        filters.parse_policy(json.dumps(policy), scope), scope, message_attributes, body
    )


@pytest.mark.parametrize(
    ("policy", "message", "expected"),
    [
        ({"event": ["order_placed"]}, attrs(event="order_placed"), True),
        ({"event": ["order_placed"]}, attrs(event="order_cancelled"), False),
        ({"event": ["order_placed"]}, {}, False),
        ({"event": ["a", "b"]}, attrs(event="b"), True),
        ({"event": ["a"], "store": ["s1"]}, attrs(event="a"), False),  # AND across keys
        ({"event": ["a"], "store": ["s1"]}, attrs(event="a", store="s1"), True),
        ({"event": [{"prefix": "order_"}]}, attrs(event="order_shipped"), True),
        ({"event": [{"prefix": "order_"}]}, attrs(event="refund"), False),
        ({"event": [{"suffix": "_placed"}]}, attrs(event="order_placed"), True),
        ({"event": [{"equals-ignore-case": "ORDER"}]}, attrs(event="order"), True),
        ({"event": [{"anything-but": ["spam", "test"]}]}, attrs(event="order"), True),
        ({"event": [{"anything-but": ["spam", "test"]}]}, attrs(event="spam"), False),
        ({"event": [{"anything-but": "spam"}]}, {}, False),  # needs the attribute
        ({"event": [{"anything-but": {"prefix": "test"}}]}, attrs(event="testing"), False),
        ({"price": [{"numeric": [">=", 100, "<", 200]}]}, attrs(price=150), True),
        ({"price": [{"numeric": [">=", 100, "<", 200]}]}, attrs(price=200), False),
        ({"price": [{"numeric": ["=", 301.5]}]}, attrs(price=3.015e2), True),
        ({"price": [{"numeric": [">", 0]}]}, attrs(price="5"), False),  # a String is no number
        ({"price": [100]}, attrs(price=100.0), True),
        ({"price": [{"anything-but": [100, 500]}]}, attrs(price=300), True),
        ({"store": [{"exists": True}]}, attrs(store="s1"), True),
        ({"store": [{"exists": True}]}, {}, False),
        ({"store": [{"exists": False}]}, {}, True),
        ({"store": [{"exists": False}]}, attrs(store="s1"), False),
        ({"tags": ["rugby"]}, attrs(tags=["soccer", "rugby"]), True),  # any array element
        ({"tags": ["golf"]}, attrs(tags=["soccer", "rugby"]), False),
        ({"ip": [{"cidr": "10.0.0.0/24"}]}, attrs(ip="10.0.0.7"), True),
        ({"ip": [{"cidr": "10.0.0.0/24"}]}, attrs(ip="10.0.1.7"), False),
        ({"$or": [{"event": ["a"]}, {"price": [{"numeric": [">", 10]}]}]}, attrs(price=11), True),
        ({"$or": [{"event": ["a"]}, {"price": [{"numeric": [">", 10]}]}]}, attrs(price=9), False),
        (
            {"blob": [{"exists": True}]},
            {"blob": {"DataType": "Binary", "BinaryValue": "AAE="}},
            False,  # binary attributes are invisible to filters
        ),
    ],
)
def test_attribute_policies(policy, message, expected):
    assert passes(policy, message) is expected


@pytest.mark.parametrize(
    ("policy", "body", "expected"),
    [
        ({"event": ["order_placed"]}, {"event": "order_placed"}, True),
        ({"order": {"total": [{"numeric": [">", 100]}]}}, {"order": {"total": 150}}, True),
        ({"order": {"total": [{"numeric": [">", 100]}]}}, {"order": {"total": 50}}, False),
        ({"order": {"total": [{"numeric": [">", 100]}]}}, {"order": 5}, False),
        ({"flag": [True]}, {"flag": True}, True),
        ({"flag": [True]}, {"flag": 1}, False),
        ({"note": [None]}, {"note": None}, True),
        ({"items": ["b"]}, {"items": ["a", "b"]}, True),
        ({"coupon": [{"exists": False}]}, {"event": "x"}, True),
        ({"event": ["x"]}, "not json at all", False),
    ],
)
def test_body_policies(policy, body, expected):
    text = body if isinstance(body, str) else json.dumps(body)
    assert passes(policy, {}, text, scope="MessageBody") is expected


@pytest.mark.parametrize(
    ("policy", "words"),
    [
        ('{"event": "order_placed"}', "must be an object or an array"),
        ('{"event": []}', "Empty arrays"),
        ('{"event": [{"prefx": "a"}]}', "Unrecognized match type prefx"),
        ('{"event": [{"exists": "yes"}]}', "either true or false"),
        ('{"p": [{"numeric": ["<", 5, ">", 1]}]}', "Too many elements in numeric expression"),
        ('{"p": [{"numeric": [">", "five"]}]}', "must be numeric"),
        ('{"p": [{"numeric": [">", 1e10]}]}', "between"),
        ('{"a": {"b": ["c"]}}', "does not support nested filter policy"),
        ('{"a":["1"],"b":["1"],"c":["1"],"d":["1"],"e":["1"],"f":["1"]}', "more than 5 keys"),
        (json.dumps({"a": list(range(13)), "b": list(range(13))}), "too complex"),
        ("[1, 2]", "must be a JSON object"),
        ("{oops", "parse JSON"),
    ],
)
def test_bad_policies_are_refused_in_aws_words(policy, words):
    """The reason alone (the action puts AWS's ``Invalid parameter: ...`` before it)."""
    with pytest.raises(Detail) as err:
        filters.parse_policy(policy, "MessageAttributes")
    assert words in str(err.value)


def test_routing_by_attributes_over_http(sns, sqs, make_topic, subscribed):
    topic = make_topic()
    billing, _ = subscribed(topic, "-billing", FilterPolicy={"event": ["order_placed"]})
    big, _ = subscribed(topic, "-big", FilterPolicy={"total": [{"numeric": [">=", 100]}]})
    everything, _ = subscribed(topic, "-all")
    events = [("order_placed", 20), ("order_cancelled", 150), ("order_placed", 300)]
    for event, total in events:
        sns.publish(
            TopicArn=topic,
            Message=f"{event} {total}",
            MessageAttributes={
                "event": {"DataType": "String", "StringValue": event},
                "total": {"DataType": "Number", "StringValue": str(total)},
            },
        )
    assert sorted(m["Message"] for m in bodies(sqs, billing, 3)) == [
        "order_placed 20",
        "order_placed 300",
    ]
    assert sorted(m["Message"] for m in bodies(sqs, big, 3)) == [
        "order_cancelled 150",
        "order_placed 300",
    ]
    assert len(bodies(sqs, everything, 3)) == 3


def test_routing_by_body_over_http(sns, sqs, make_topic, subscribed):
    topic = make_topic()
    url, sub = subscribed(
        topic,
        "-body",
        FilterPolicy={"order": {"country": ["AU"]}},
        FilterPolicyScope="MessageBody",
    )
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"country": "NZ"}}))
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"country": "AU"}}))
    sns.publish(TopicArn=topic, Message="plain text never matches a body policy")
    got = bodies(sqs, url, 3)
    assert [json.loads(m["Message"]) for m in got] == [{"order": {"country": "AU"}}]
    # a nested policy needs the MessageBody scope
    nested = "scope MessageAttributes does not support nested filter policy"
    with pytest.raises(sns.exceptions.InvalidParameterException, match=nested):
        sns.set_subscription_attributes(
            SubscriptionArn=sub,
            AttributeName="FilterPolicyScope",
            AttributeValue="MessageAttributes",
        )


def test_policy_change_applies_to_the_next_publish(sns, sqs, make_topic, subscribed):
    topic = make_topic()
    url, sub = subscribed(topic, "-a", FilterPolicy={"kind": ["a"]})
    kind = {"kind": {"DataType": "String", "StringValue": "b"}}
    sns.publish(TopicArn=topic, Message="first", MessageAttributes=kind)
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue='{"kind": ["b"]}'
    )
    sns.publish(TopicArn=topic, Message="second", MessageAttributes=kind)
    assert [m["Message"] for m in bodies(sqs, url, 2)] == ["second"]
