"""Subscriptions of SQS queues over HTTP: subscribe, list, attributes, unsubscribe."""

from __future__ import annotations

import json

import pytest

from tests.emulator.sns.conftest import queue_arn


def test_subscribe_lists_and_describes(sns, sqs, account, make_topic, make_queue):
    topic = make_topic()
    url = make_queue("-a")
    endpoint = queue_arn(sqs, url)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)["SubscriptionArn"]
    assert sub.startswith(topic + ":")
    summary = {
        "SubscriptionArn": sub,
        "Owner": account,
        "Protocol": "sqs",
        "Endpoint": endpoint,
        "TopicArn": topic,
    }
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == [summary]
    assert summary in sns.list_subscriptions()["Subscriptions"]
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["PendingConfirmation"] == "false"
    assert attrs["RawMessageDelivery"] == "false"
    assert attrs["Endpoint"] == endpoint
    # the same queue again: the same subscription, as on AWS
    again = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)["SubscriptionArn"]
    assert again == sub
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["SubscriptionsConfirmed"] == "1"


def test_subscribe_with_attributes_and_change_them(sns, make_topic, subscribed):
    topic = make_topic()
    policy = {"event": ["order_placed"]}
    _, sub = subscribed(topic, "-a", RawMessageDelivery="true", FilterPolicy=policy)
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["RawMessageDelivery"] == "true"
    assert json.loads(attrs["FilterPolicy"]) == policy
    assert attrs["FilterPolicyScope"] == "MessageAttributes"
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody"
    )
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="false"
    )
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["FilterPolicyScope"] == "MessageBody"
    assert attrs["RawMessageDelivery"] == "false"
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=""
    )
    assert "FilterPolicy" not in sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("RawMessageDelivery", "yes"),
        ("FilterPolicyScope", "Everything"),
        ("FilterPolicy", "{not json"),
        ("FilterPolicy", '{"event": "order_placed"}'),  # values go in a list
        ("Unknown", "x"),
        ("RedrivePolicy", '{"deadLetterTargetArn": "nope"}'),
    ],
)
def test_bad_subscription_attributes(sns, make_topic, subscribed, name, value):
    topic = make_topic()
    _, sub = subscribed(topic, "-a")
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName=name, AttributeValue=value
        )


def test_subscribe_refusals(sns, sqs, make_topic, make_queue):
    topic = make_topic()
    endpoint = queue_arn(sqs, make_queue("-a"))
    with pytest.raises(sns.exceptions.InvalidParameterException, match="SQS endpoint ARN"):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="https://example.invalid/q")
    with pytest.raises(sns.exceptions.InvalidParameterException, match="sqs only"):
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="someone@example.com")
    with pytest.raises(sns.exceptions.InvalidParameterException, match="protocol string"):
        sns.subscribe(TopicArn=topic, Protocol="pigeon", Endpoint=endpoint)
    fifo = queue_arn(sqs, make_queue("-f", fifo=True))
    with pytest.raises(sns.exceptions.InvalidParameterException, match="FIFO SQS Queues"):
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=fifo)
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.subscribe(TopicArn=topic + "-missing", Protocol="sqs", Endpoint=endpoint)
    sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=endpoint, Attributes={"RawMessageDelivery": "true"}
    )
    with pytest.raises(sns.exceptions.InvalidParameterException, match="different attributes"):
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=endpoint,
            Attributes={"RawMessageDelivery": "false"},
        )


def test_unsubscribe(sns, make_topic, subscribed):
    topic = make_topic()
    _, sub = subscribed(topic, "-a")
    sns.unsubscribe(SubscriptionArn=sub)
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    with pytest.raises(sns.exceptions.NotFoundException) as err:
        sns.get_subscription_attributes(SubscriptionArn=sub)
    assert err.value.response["Error"]["Message"] == "Subscription does not exist"
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="RawMessageDelivery", AttributeValue="true"
        )
    sns.unsubscribe(SubscriptionArn=sub)  # again: succeeds, as on AWS
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.unsubscribe(SubscriptionArn="not-an-arn")


def test_list_subscriptions_by_missing_topic(sns, account):
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.list_subscriptions_by_topic(TopicArn=f"arn:aws:sns:us-east-1:{account}:gone")
