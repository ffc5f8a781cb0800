"""Subscriptions as AWS answers them: the attribute set, idempotency, SetSubscriptionAttributes'
messages, a FIFO subscription's dead-letter queue (API_Subscribe.html,
API_GetSubscriptionAttributes.html, API_SetSubscriptionAttributes.html; recorded:
test_create_subscriptions_with_attributes, test_subscribe_idempotency,
test_validate_set_sub_attributes, test_set_subscription_filter_policy_scope,
test_validations_for_fifo)."""

from __future__ import annotations

import json

from tests.emulator.sns.conformance.conftest import expect_error
from tests.emulator.sns.conftest import queue_arn


def test_attribute_set_of_an_sqs_subscription(sns, sqs, account, make_topic, make_queue):
    """snapshot: test_create_subscriptions_with_attributes / get-attrs: SubscriptionPrincipal,
    no EffectiveDeliveryPolicy, no FilterPolicyScope without a policy."""
    topic, url = make_topic(), make_queue()
    arn = sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn(sqs, url),
        Attributes={"RawMessageDelivery": "true"},
    )["SubscriptionArn"]
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert sorted(attrs) == [
        "ConfirmationWasAuthenticated", "Endpoint", "Owner", "PendingConfirmation", "Protocol",
        "RawMessageDelivery", "SubscriptionArn", "SubscriptionPrincipal", "TopicArn",
    ]  # fmt: skip
    assert attrs["SubscriptionPrincipal"] == f"arn:aws:iam::{account}:root"
    assert attrs["RawMessageDelivery"] == "true" and attrs["PendingConfirmation"] == "false"


def test_filter_policy_scope_shows_only_beside_a_policy(sns, sqs, make_topic, make_queue):
    """snapshot: test_set_subscription_filter_policy_scope / sub-attrs-filter-scope-body (set,
    not shown), sub-attrs-after-setting-policy (shown), sub-attrs-filter-scope-error."""
    topic, url = make_topic(), make_queue()
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, url))[
        "SubscriptionArn"
    ]
    set_attr = lambda name, value: sns.set_subscription_attributes(  # noqa: E731
        SubscriptionArn=arn, AttributeName=name, AttributeValue=value
    )
    set_attr("FilterPolicyScope", "MessageBody")
    assert (
        "FilterPolicyScope"
        not in sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    )
    set_attr("FilterPolicy", json.dumps({"attr": ["match-this"]}))
    attrs = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert attrs["FilterPolicyScope"] == "MessageBody"
    expect_error(
        lambda: set_attr("FilterPolicyScope", "RandomValue"),
        "InvalidParameter",
        "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either "
        "MessageBody or MessageAttributes",
    )


def test_subscribing_again(sns, sqs, make_topic, make_queue):
    """snapshot: test_subscribe_idempotency / subscribe-exact-same-raw, -idempotent,
    -no-attributes, subscribe-diff-attributes."""
    topic, url = make_topic(), make_queue()
    endpoint = queue_arn(sqs, url)
    first = sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=endpoint, Attributes={"RawMessageDelivery": "true"}
    )["SubscriptionArn"]
    for attributes in ({"RawMessageDelivery": "true"}, {}):
        again = sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=endpoint, Attributes=attributes
        )
        assert again["SubscriptionArn"] == first
    for different in ({"RawMessageDelivery": "false"}, {"FilterPolicyScope": "MessageBody"}):
        expect_error(
            lambda d=different: sns.subscribe(
                TopicArn=topic, Protocol="sqs", Endpoint=endpoint, Attributes=d
            ),
            "InvalidParameter",
            "Invalid parameter: Attributes Reason: Subscription already exists with different "
            "attributes",
        )


def test_subscribe_with_a_bad_attribute_value(sns, sqs, make_topic, make_queue):
    """snapshot: test_create_subscriptions_with_attributes / subscribe-wrong-attr."""
    topic, url = make_topic(), make_queue()
    expect_error(
        lambda: sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=queue_arn(sqs, url),
            Attributes={"RawMessageDelivery": "wrongvalue"},
        ),
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. "
        "Must be true or false.",
    )


def test_set_subscription_attributes_messages(sns, sqs, make_topic, make_queue):
    """snapshot: test_validate_set_sub_attributes / fake-attribute, raw-message-wrong-value,
    raw-message-empty-value, fake-arn-redrive-policy, invalid-json-redrive-policy,
    invalid-json-filter-policy (AWS's parser detail after "failed to parse JSON." differs)."""
    topic, url = make_topic(), make_queue()
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, url))[
        "SubscriptionArn"
    ]
    set_attr = lambda name, value: sns.set_subscription_attributes(  # noqa: E731
        SubscriptionArn=arn, AttributeName=name, AttributeValue=value
    )
    cases = [
        ("Fake", "x", "Invalid parameter: AttributeName"),
        ("RawMessageDelivery", "test-ValUe",
         "Invalid parameter: RawMessageDelivery: Invalid value [test-ValUe]. Must be true or false."),
        ("RawMessageDelivery", "",
         "Invalid parameter: RawMessageDelivery: Invalid value []. Must be true or false."),
        ("RedrivePolicy", json.dumps({"deadLetterTargetArn": "fake-arn"}),
         "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn"),
    ]  # fmt: skip
    for name, value, message in cases:
        expect_error(lambda n=name, v=value: set_attr(n, v), "InvalidParameter", message)
    for name in ("RedrivePolicy", "FilterPolicy"):
        try:
            set_attr(name, "{invalid json}")
        except sns.exceptions.InvalidParameterException as err:
            text = err.response["Error"]["Message"]
            assert text.startswith(f"Invalid parameter: {name}: failed to parse JSON. "), text
        else:
            raise AssertionError(f"{name} took invalid JSON")


def test_a_fifo_subscription_needs_a_fifo_dead_letter_queue(sns, sqs, make_topic, make_queue):
    """snapshot: test_validations_for_fifo / regular-queue-for-dlq-of-fifo-topic, not-fifo-topic."""
    topic = make_topic(fifo=True)
    fifo_queue, standard = make_queue("-f", fifo=True), make_queue("-dlq")
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, fifo_queue))[
        "SubscriptionArn"
    ]
    expect_error(
        lambda: sns.set_subscription_attributes(
            SubscriptionArn=arn,
            AttributeName="RedrivePolicy",
            AttributeValue=json.dumps({"deadLetterTargetArn": queue_arn(sqs, standard)}),
        ),
        "InvalidParameter",
        "Invalid parameter: RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription "
        "to a FIFO Topic.",
    )
    expect_error(
        lambda: sns.subscribe(
            TopicArn=make_topic("-standard"), Protocol="sqs", Endpoint=queue_arn(sqs, fifo_queue)
        ),
        "InvalidParameter",
        "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be "
        "subscribed to standard SNS topics",
    )


def test_endpoint_must_be_a_queue_arn_and_protocol_known(sns, sqs, make_topic, make_queue):
    """snapshot: test_subscribe_to_sqs_with_queue_url / sub-queue-url;
    test_subscribe_with_invalid_protocol / exception."""
    topic, url = make_topic(), make_queue()
    expect_error(
        lambda: sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=url),
        "InvalidParameter",
        "Invalid parameter: SQS endpoint ARN",
    )
    expect_error(
        lambda: sns.subscribe(TopicArn=topic, Protocol="test-protocol", Endpoint=url),
        "InvalidParameter",
        "Invalid parameter: Amazon SNS does not support this protocol string: test-protocol",
    )
