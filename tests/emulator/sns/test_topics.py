"""Topics over HTTP with boto3's sns client: create, list, attributes, tags, delete."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from labkit.stack.clients import emulator_client


def test_create_topic_is_idempotent_and_listed(sns, account, make_topic, queue_name):
    arn = make_topic()
    assert arn == f"arn:aws:sns:us-east-1:{account}:{queue_name}"
    assert sns.create_topic(Name=queue_name)["TopicArn"] == arn
    listed = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert arn in listed


def test_same_name_with_other_attributes_is_refused(sns, make_topic, queue_name):
    make_topic(DisplayName="first")
    with pytest.raises(sns.exceptions.InvalidParameterException) as err:
        sns.create_topic(Name=queue_name, Attributes={"DisplayName": "second"})
    assert "already exists with different attributes" in str(err.value)


@pytest.mark.parametrize(
    ("name", "attributes"),
    [
        ("has space", {}),
        ("x" * 257, {}),
        ("looks.fifo", {}),  # a .fifo name without FifoTopic=true
        ("plain", {"FifoTopic": "true"}),
        ("", {}),
    ],
)
def test_bad_names_are_invalid_parameter(sns, name, attributes):
    with pytest.raises(ClientError) as err:
        sns.create_topic(Name=name, Attributes=attributes)
    assert err.value.response["Error"]["Code"] == "InvalidParameter"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_fifo_topic_attributes(sns, make_topic):
    arn = make_topic(fifo=True, ContentBasedDeduplication="true")
    assert arn.endswith(".fifo")
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["FifoTopic"] == "true"
    assert attrs["ContentBasedDeduplication"] == "true"


def test_get_and_set_topic_attributes(sns, account, make_topic):
    arn = make_topic()
    attrs = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert attrs["TopicArn"] == arn
    assert attrs["Owner"] == account
    assert attrs["SubscriptionsConfirmed"] == "0"
    policy = json.loads(attrs["Policy"])
    assert policy["Statement"][0]["Resource"] == arn
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="Orders")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "Orders"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("NoSuchAttribute", "x"),
        ("FifoTopic", "true"),  # fixed when the topic is made
        ("ContentBasedDeduplication", "true"),  # FIFO topics only
        ("Policy", "not json"),
    ],
)
def test_set_topic_attribute_refusals(sns, make_topic, name, value):
    arn = make_topic()
    with pytest.raises(sns.exceptions.InvalidParameterException):
        sns.set_topic_attributes(TopicArn=arn, AttributeName=name, AttributeValue=value)


def test_missing_topic_is_not_found(sns, account):
    missing = f"arn:aws:sns:us-east-1:{account}:no-such-topic"
    with pytest.raises(sns.exceptions.NotFoundException) as err:
        sns.get_topic_attributes(TopicArn=missing)
    assert err.value.response["Error"]["Message"] == "Topic does not exist"
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.set_topic_attributes(TopicArn=missing, AttributeName="DisplayName", AttributeValue="x")


def test_malformed_arn_is_invalid_parameter(sns):
    with pytest.raises(sns.exceptions.InvalidParameterException) as err:
        sns.get_topic_attributes(TopicArn="not-an-arn")
    assert "TopicArn" in str(err.value)


def test_delete_topic_removes_it_and_its_subscriptions(sns, sqs, make_topic, subscribed):
    arn = make_topic()
    _, sub = subscribed(arn, "-q")
    sns.delete_topic(TopicArn=arn)
    assert arn not in [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.get_subscription_attributes(SubscriptionArn=sub)
    sns.delete_topic(TopicArn=arn)  # deleting a missing topic succeeds, as on AWS


def test_list_topics_pages_by_100(sns, queue_name):
    arns = [sns.create_topic(Name=f"{queue_name}-{i}")["TopicArn"] for i in range(105)]
    try:
        first = sns.list_topics()
        assert len(first["Topics"]) == 100 and first["NextToken"]
        second = sns.list_topics(NextToken=first["NextToken"])
        seen = {t["TopicArn"] for t in first["Topics"] + second["Topics"]}
        assert set(arns) <= seen
        pages = sns.get_paginator("list_topics").paginate()
        assert set(arns) <= {t["TopicArn"] for page in pages for t in page["Topics"]}
    finally:
        for arn in arns:
            sns.delete_topic(TopicArn=arn)


def test_tags(sns, make_topic, queue_name):
    arn = sns.create_topic(Name=f"{queue_name}-tagged", Tags=[{"Key": "team", "Value": "a"}])[
        "TopicArn"
    ]
    try:
        sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "lab"}])
        tags = sns.list_tags_for_resource(ResourceArn=arn)["Tags"]
        assert tags == [{"Key": "env", "Value": "lab"}, {"Key": "team", "Value": "a"}]
        sns.untag_resource(ResourceArn=arn, TagKeys=["team"])
        assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
            {"Key": "env", "Value": "lab"}
        ]
        too_many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
        with pytest.raises(sns.exceptions.TagLimitExceededException):
            sns.tag_resource(ResourceArn=arn, Tags=too_many)
    finally:
        sns.delete_topic(TopicArn=arn)


def test_tags_of_a_missing_resource(sns, account):
    missing = f"arn:aws:sns:us-east-1:{account}:nothing-here"
    with pytest.raises(sns.exceptions.ResourceNotFoundException):
        sns.list_tags_for_resource(ResourceArn=missing)
    with pytest.raises(sns.exceptions.ResourceNotFoundException):
        sns.tag_resource(ResourceArn=missing, Tags=[{"Key": "a", "Value": "b"}])
    with pytest.raises(sns.exceptions.ResourceNotFoundException):
        sns.untag_resource(ResourceArn=missing, TagKeys=["a"])


def test_topics_belong_to_an_account_and_region(sqs_endpoint, make_topic):
    """A 12-digit access key id is the account; the region comes from the signature."""
    arn = make_topic()
    other = emulator_client(sqs_endpoint, region="eu-west-1", service="sns", account="123456789012")
    theirs = other.create_topic(Name="their-topic")["TopicArn"]
    try:
        assert theirs == "arn:aws:sns:eu-west-1:123456789012:their-topic"
        listed = [t["TopicArn"] for t in other.list_topics()["Topics"]]
        assert theirs in listed and arn not in listed
    finally:
        other.delete_topic(TopicArn=theirs)
