"""Topic names and attributes as AWS answers them (API_CreateTopic.html,
API_SetTopicAttributes.html; recorded: test_create_topic_name_constraints,
test_topic_get_attributes_with_fifo_false, test_create_duplicate_topic_with_more_tags)."""

from __future__ import annotations

import json

import pytest

from tests.emulator.sns.conformance.conftest import expect_error


@pytest.mark.parametrize(
    ("name", "attributes"),
    [
        ("", {}),
        ("x" * 257, {}),
        ("has:colon", {}),
        ("has;semicolon", {}),
        ("has space", {}),
        ("has^caret", {}),
        ("plain", {"FifoTopic": "true"}),  # FifoTopic=true on a name without .fifo
        ("looks.fifo", {}),  # .fifo without FifoTopic=true
    ],
)
def test_bad_topic_names(sns, name, attributes):
    """snapshot: test_create_topic_name_constraints / name-too-short, name-too-long,
    name-invalid-char-*: ``Invalid parameter: Topic Name`` with no reason."""
    expect_error(
        lambda: sns.create_topic(Name=name, Attributes=attributes),
        "InvalidParameter",
        "Invalid parameter: Topic Name",
    )


def test_the_longest_name_is_fine(sns):
    """snapshot: test_create_topic_name_constraints / valid-name-max-length."""
    arn = sns.create_topic(Name="t" * 256)["TopicArn"]
    sns.delete_topic(TopicArn=arn)


def test_fifo_topic_cannot_be_set_later(sns, make_topic):
    """snapshot: test_topic_get_attributes_with_fifo_false / set-fifo-false-after-creation."""
    topic = make_topic()
    expect_error(
        lambda: sns.set_topic_attributes(
            TopicArn=topic, AttributeName="FifoTopic", AttributeValue="false"
        ),
        "InvalidParameter",
        "Invalid parameter: AttributeName",
    )


def test_same_name_with_other_tags(sns, make_topic, queue_name):
    """snapshot: test_create_duplicate_topic_with_more_tags / exception-duplicate."""
    sns.create_topic(Name=queue_name, Tags=[{"Key": "k1", "Value": "v1"}])
    make_topic()  # registers the topic for clean-up (same name, no tags: idempotent)
    expect_error(
        lambda: sns.create_topic(
            Name=queue_name, Tags=[{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}]
        ),
        "InvalidParameter",
        "Invalid parameter: Tags Reason: Topic already exists with different tags",
    )


def test_delete_is_idempotent_and_a_deleted_topic_is_not_found(sns, make_topic):
    """snapshot: test_delete_topic_idempotency; test_create_topic_test_arn / topic-not-exists."""
    topic = make_topic()
    sns.delete_topic(TopicArn=topic)
    sns.delete_topic(TopicArn=topic)
    expect_error(
        lambda: sns.get_topic_attributes(TopicArn=topic), "NotFound", "Topic does not exist", 404
    )


def test_attribute_set_and_default_policy(sns, make_topic):
    """snapshot: test_create_topic_test_arn / get-topic-attrs; test_create_topic_with_attributes
    / get-topic-attrs (a FIFO topic adds FifoTopic and ContentBasedDeduplication)."""
    topic = make_topic()
    attrs = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert sorted(attrs) == [
        "DisplayName", "EffectiveDeliveryPolicy", "Owner", "Policy", "SubscriptionsConfirmed",
        "SubscriptionsDeleted", "SubscriptionsPending", "TopicArn",
    ]  # fmt: skip
    policy = json.loads(attrs["Policy"])
    assert (policy["Version"], policy["Id"]) == ("2008-10-17", "__default_policy_ID")
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"AWS": "*"} and statement["Resource"] == topic
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceOwner": attrs["Owner"]}}
    assert statement["Action"] == [
        "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
        "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
        "SNS:ListSubscriptionsByTopic", "SNS:Publish",
    ]  # fmt: skip
    effective = json.loads(attrs["EffectiveDeliveryPolicy"])["http"]
    assert effective["defaultHealthyRetryPolicy"]["numRetries"] == 3
    fifo = sns.get_topic_attributes(TopicArn=make_topic("-f", fifo=True))["Attributes"]
    assert (fifo["FifoTopic"], fifo["ContentBasedDeduplication"]) == ("true", "false")
