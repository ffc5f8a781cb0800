"""ARNs as AWS checks them: too few elements, another region, a bad subscription id.

Follows API_Publish.html, API_Subscribe.html, API_Unsubscribe.html and
API_GetSubscriptionAttributes.html, and the recorded answers (snapshot: <test> / <key>) of
test_publish_wrong_arn_format, test_subscribe_with_invalid_topic, test_unsubscribe_wrong_arn_format,
test_cross_region_access and test_create_topic_with_attributes.
"""

from __future__ import annotations

import pytest

from tests.emulator.sns.conformance.conftest import expect_error

SIX = "Invalid parameter: {} Reason: An ARN must have at least 6 elements, not {}"


@pytest.mark.parametrize(("arn", "count"), [("randomstring", 1), ("", 1), ("arn:aws:sns", 3)])
def test_publish_to_a_short_arn(sns, arn, count):
    """snapshot: test_publish_wrong_arn_format / invalid-topic-arn, empty-topic."""
    call = lambda: sns.publish(TopicArn=arn, Message="x")  # noqa: E731
    expect_error(call, "InvalidParameter", SIX.format("TopicArn", count))


def test_get_attributes_and_subscribe_with_a_short_arn(sns):
    """snapshot: test_create_topic_with_attributes / get-attrs-malformed-topic;
    test_subscribe_with_invalid_topic / invalid-subscribe-arn-1, -2."""
    expect_error(
        lambda: sns.get_topic_attributes(TopicArn="randomstring"),
        "InvalidParameter",
        SIX.format("TopicArn", 1),
    )
    endpoint = "arn:aws:sqs:us-east-1:000000000000:q"
    expect_error(
        lambda: sns.subscribe(TopicArn="randomstring", Protocol="sqs", Endpoint=endpoint),
        "InvalidParameter",
        SIX.format("TopicArn", 1),
    )
    expect_error(
        lambda: sns.subscribe(
            TopicArn="arn:aws:sns:us-east-1:000000000000", Protocol="sqs", Endpoint=endpoint
        ),
        "InvalidParameter",
        SIX.format("TopicArn", 5),
    )


def test_unsubscribe_arn_rules(sns, make_topic):
    """snapshot: test_unsubscribe_wrong_arn_format / invalid-unsubscribe-arn-1 to -4."""
    expect_error(
        lambda: sns.unsubscribe(SubscriptionArn="randomstring"),
        "InvalidParameter",
        SIX.format("SubscriptionArn", 1),
    )
    expect_error(
        lambda: sns.unsubscribe(SubscriptionArn="arn:aws:sns:us-east-1:000000000000"),
        "InvalidParameter",
        SIX.format("SubscriptionArn", 5),
    )
    expect_error(
        lambda: sns.unsubscribe(SubscriptionArn=f"{make_topic()}:not-a-subscription-id"),
        "InvalidParameter",
        "Invalid parameter: SubscriptionId",
    )
    expect_error(
        lambda: sns.unsubscribe(SubscriptionArn=""),
        "InvalidParameter",
        "Invalid parameter: SubscriptionArn Reason: no value for required parameter",
    )


def test_a_subscription_that_is_gone(sns, make_topic):
    """snapshot: test_create_subscriptions_with_attributes / get-attrs-nonexistent-sub;
    test_unsubscribe_idempotency (no error)."""
    gone = f"{make_topic()}:0b0e3f6a-1d2c-4b5a-8e9f-a0b1c2d3e4f5"
    expect_error(
        lambda: sns.get_subscription_attributes(SubscriptionArn=gone),
        "NotFound",
        "Subscription does not exist",
        404,
    )
    sns.unsubscribe(SubscriptionArn=gone)


def test_a_topic_of_another_region(sns, sqs_endpoint, account, make_topic):
    """snapshot: test_cross_region_access / get-topic-attrs, cross-region-publish-forbidden,
    delete-topic, list-subs, set-topic-attrs: ``Invalid parameter: TopicArn``, no reason."""
    from labkit.stack.clients import emulator_client

    west = emulator_client(sqs_endpoint, region="us-west-2", service="sns", account=account)
    topic = make_topic()
    for call in (
        lambda: west.get_topic_attributes(TopicArn=topic),
        lambda: west.publish(TopicArn=topic, Message="x"),
        lambda: west.delete_topic(TopicArn=topic),
        lambda: west.list_subscriptions_by_topic(TopicArn=topic),
        lambda: west.set_topic_attributes(
            TopicArn=topic, AttributeName="DisplayName", AttributeValue="x"
        ),
    ):
        expect_error(call, "InvalidParameter", "Invalid parameter: TopicArn")
    assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["TopicArn"] == topic
