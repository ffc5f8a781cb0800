"""The notification a queue receives, field for field as AWS writes it (SNS Developer Guide,
"Amazon SNS message and JSON formats": https://docs.aws.amazon.com/sns/latest/dg/
sns-message-and-json-formats.html; recorded: test_publish_sqs_from_sns / message-raw-false,
test_publish_sqs_verify_signature[2], test_message_to_fifo_sqs / messages)."""

from __future__ import annotations

import re

from tests.emulator.sns.conftest import bodies


def test_standard_envelope_fields_and_urls(sns, sqs, make_topic, subscribed, sqs_endpoint):
    topic = make_topic()
    url, sub = subscribed(topic, "-q")
    sns.publish(TopicArn=topic, Message="Test msg")
    [note] = bodies(sqs, url, 1)
    assert list(note) == [
        "Type", "MessageId", "TopicArn", "Message", "Timestamp", "SignatureVersion",
        "Signature", "SigningCertURL", "UnsubscribeURL",
    ]  # fmt: skip
    # the subscription's ARN as it is after SubscriptionArn=, not percent-encoded
    assert note["UnsubscribeURL"] == f"{sqs_endpoint}/?Action=Unsubscribe&SubscriptionArn={sub}"
    assert re.fullmatch(
        re.escape(sqs_endpoint) + r"/SimpleNotificationService-[0-9a-f]{32}\.pem",
        note["SigningCertURL"],
    )
    assert note["SignatureVersion"] == "1"


def test_signature_version_2_is_announced(sns, sqs, make_topic, subscribed):
    """snapshot: test_publish_sqs_verify_signature[2] / messages: SignatureVersion "2"."""
    topic = make_topic(SignatureVersion="2")
    url, _ = subscribed(topic, "-q")
    sns.publish(TopicArn=topic, Message="v2")
    assert bodies(sqs, url, 1)[0]["SignatureVersion"] == "2"


def test_fifo_envelope_has_no_signature_fields(sns, sqs, make_topic, subscribed):
    """snapshot: test_message_to_fifo_sqs / messages: SequenceNumber, and no SignatureVersion,
    Signature or SigningCertURL."""
    topic = make_topic(fifo=True, ContentBasedDeduplication="true")
    url, _ = subscribed(topic, "-f", fifo=True)
    sns.publish(TopicArn=topic, Message="Test", MessageGroupId="message-group-id-1")
    [note] = bodies(sqs, url, 1)
    assert list(note) == [
        "Type", "MessageId", "SequenceNumber", "TopicArn", "Message", "Timestamp",
        "UnsubscribeURL",
    ]  # fmt: skip
