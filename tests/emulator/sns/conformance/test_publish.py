"""Publish's checks as AWS answers them (API_Publish.html; recorded:
test_message_structure_json_exc, test_empty_or_wrong_message_attributes,
test_message_attributes_prefixes, test_empty_sns_message, test_publish_with_empty_subject,
test_publish_too_long_message)."""

from __future__ import annotations

import json

import pytest

from tests.emulator.sns.conformance.conftest import expect_error
from tests.emulator.sns.conftest import bodies

BAD = "ParameterValueInvalid"


def test_message_structure_json(sns, sqs, make_topic, subscribed):
    """snapshot: test_message_structure_json_exc / missing-default-key, invalid-json,
    key-is-not-string; a protocol key whose value is no string is ignored."""
    topic = make_topic()
    url, _ = subscribed(topic, "-q")
    publish = lambda message: sns.publish(  # noqa: E731
        TopicArn=topic, Message=message, MessageStructure="json"
    )
    no_default = "Invalid parameter: Message Structure - No default entry in JSON message body"
    expect_error(lambda: publish('{"sqs": "only"}'), "InvalidParameter", no_default)
    expect_error(lambda: publish('{"default": 1}'), "InvalidParameter", no_default)
    expect_error(
        lambda: publish("{not json"),
        "InvalidParameter",
        "Invalid parameter: Message Structure - JSON message body failed to parse",
    )
    publish(json.dumps({"default": "for everyone", "sqs": {"not": "a string"}}))
    assert bodies(sqs, url, 1)[0]["Message"] == "for everyone"


ATTRIBUTE_CASES = [
    ({"DataType": "String"},
     "The message attribute 'attr1' must contain non-empty message attribute value for message "
     "attribute type 'String'."),
    ({"DataType": "Binary"},
     "The message attribute 'attr1' must contain non-empty message attribute value for message "
     "attribute type 'Binary'."),
    ({"DataType": "String", "BinaryValue": b"\x02\x03"},
     "The message attribute 'attr1' with type 'String' must use field 'String'."),
    ({"DataType": "Number", "BinaryValue": b"\x02\x03"},
     "The message attribute 'attr1' with type 'Number' must use field 'String'."),
    ({"DataType": "Binary", "StringValue": "abc"},
     "The message attribute 'attr1' with type 'Binary' must use field 'Binary'."),
    ({"DataType": "Stringx", "StringValue": "abc"},
     "The message attribute 'attr1' has an invalid message attribute type, the set of supported "
     "type prefixes is Binary, Number, and String."),
    ({"DataType": "String.", "StringValue": "abc"},
     "The message attribute 'attr1' has an invalid message attribute type, the set of supported "
     "type prefixes is Binary, Number, and String."),
]  # fmt: skip


@pytest.mark.parametrize(("value", "message"), ATTRIBUTE_CASES)
def test_attribute_types_and_fields(sns, make_topic, value, message):
    """snapshot: test_empty_or_wrong_message_attributes / missing_string_attr,
    missing_binary_attr, str_attr_binary_value, int_attr_binary_value, binary_attr_string_value,
    invalid_attr_string_value; test_message_attributes_prefixes / publish-error-2 ("String.")."""
    topic = make_topic()
    call = lambda: sns.publish(  # noqa: E731
        TopicArn=topic, Message="x", MessageAttributes={"attr1": value}
    )
    expect_error(call, BAD, message)
    entry = {"Id": "1", "Message": "x", "MessageAttributes": {"attr1": value}}
    batch = lambda: sns.publish_batch(  # noqa: E731
        TopicArn=topic, PublishBatchRequestEntries=[{"Id": "0", "Message": "fine"}, entry]
    )
    expect_error(batch, BAD, message)  # the whole batch is refused


def test_custom_type_suffixes_are_fine(sns, make_topic):
    """snapshot: test_message_attributes_prefixes / publish-ok-1, publish-ok-2."""
    topic = make_topic()
    for data_type, field in (("String.custom", "StringValue"), ("Number.float", "StringValue")):
        value = {"DataType": data_type, field: "1.5"}
        sns.publish(TopicArn=topic, Message="x", MessageAttributes={"a": value})


def test_missing_data_type_is_a_validation_error(loose_sns, make_topic):
    """snapshot: test_empty_or_wrong_message_attributes / fully_missing_data_type,
    batch-fully_missing_data_type."""
    topic = make_topic()
    value = {"StringValue": "v"}
    tail = "failed to satisfy constraint: Member must not be null"
    expect_error(
        lambda: loose_sns.publish(TopicArn=topic, Message="x", MessageAttributes={"attr1": value}),
        "ValidationError",
        f"1 validation error detected: Value null at 'messageAttributes.attr1.member.dataType' "
        f"{tail}",
    )
    entries = [{"Id": "1", "Message": "x", "MessageAttributes": {"attr1": value}}]
    expect_error(
        lambda: loose_sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries),
        "ValidationError",
        "1 validation error detected: Value null at "
        f"'publishBatchRequestEntries.1.member.messageAttributes.attr1.member.dataType' {tail}",
    )


NAME_CASES = [
    ("a" * 257, "Length of message attribute name must be less than 256 bytes."),
    ("attr^1", "Invalid non-alphanumeric character '#x5E' was found in the message attribute "
               "name. Can only include alphanumeric characters, hyphens, underscores, or dots."),
    (".attr", "Invalid message attribute name starting with character '.' was found."),
    ("attr.", "Invalid message attribute name ending with character '.' was found."),
    ("at..tr", "Message attribute name can not have successive '.' character."),
]  # fmt: skip


@pytest.mark.parametrize(("name", "message"), NAME_CASES)
def test_attribute_names(sns, make_topic, name, message):
    """snapshot: test_empty_or_wrong_message_attributes / too_long_name, invalid_name,
    invalid_name_2, invalid_name_3, invalid_name_4 and their batch-* twins."""
    topic = make_topic()
    value = {"DataType": "String", "StringValue": "v"}
    call = lambda: sns.publish(  # noqa: E731
        TopicArn=topic, Message="x", MessageAttributes={name: value}
    )
    expect_error(call, BAD, message)
    entries = [
        {"Id": "ok", "Message": "x"},
        {"Id": "bad", "Message": "x", "MessageAttributes": {name: value}},
    ]
    expect_error(
        lambda: sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries), BAD, message
    )


def test_message_and_subject(sns, make_topic):
    """snapshot: test_empty_sns_message / empty-msg-error; test_publish_with_empty_subject /
    response-with-empty-subject; test_publish_too_long_message / error."""
    topic = make_topic()
    expect_error(
        lambda: sns.publish(TopicArn=topic, Message=""),
        "InvalidParameter",
        "Invalid parameter: Empty message",
    )
    expect_error(
        lambda: sns.publish(TopicArn=topic, Message="x", Subject=""),
        "InvalidParameter",
        "Invalid parameter: Subject",
    )
    expect_error(
        lambda: sns.publish(TopicArn=topic, Message="x" * 262_145),
        "InvalidParameter",
        "Invalid parameter: Message too long",
    )
