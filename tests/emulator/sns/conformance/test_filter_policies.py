"""Filter policy validation in AWS's words (SNS Developer Guide, "Amazon SNS message
filtering": https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html; recorded in
test_sns_filter_policy.snapshot.json: test_validate_policy, test_validate_policy_string_operators,
test_validate_policy_numeric_operator, test_validate_policy_exists_operator,
test_validate_policy_nested_anything_but_operator, test_policy_complexity,
test_sub_filter_policy_nested_property, test_sub_filter_policy_nested_property_constraints).

Subscribe answers ``Invalid parameter: Attributes Reason: FilterPolicy: <why>``,
SetSubscriptionAttributes ``Invalid parameter: FilterPolicy: <why>``.
"""

from __future__ import annotations

import json

import pytest

from tests.emulator.sns.conformance.conftest import expect_error
from tests.emulator.sns.conftest import queue_arn

CASES = [
    ({"key": [["value"]]}, "Match value must be String, number, true, false, or null"),
    ({"key": [{"wrong-operator": True}]}, "Unrecognized match type wrong-operator"),
    ({"key": [{"suffix": "value", "prefix": "value2"}]}, "Only one key allowed in match expression"),
    ({"key": [{"suffix": 100}]}, "suffix match pattern must be a string"),
    ({"key": [{"suffix": None}]}, "suffix match pattern must be a string"),
    ({"key": [{"suffix": []}]}, "suffix match pattern must be a string"),
    ({"key": {"suffix": "value"}}, '"suffix" must be an object or an array'),
    ({"key": {"not-an-operator": "value"}}, '"not-an-operator" must be an object or an array'),
    ({"key": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
    ({"key": [{"numeric": ["operator"]}]}, "Unrecognized numeric range operator: operator"),
    ({"key": [{"numeric": [1, "<="]}]}, "Invalid member in numeric match: 1"),
    ({"key": [{"numeric": ["=", "000"]}]}, "Value of equals must be numeric"),
    ({"key": [{"numeric": [">="]}]}, "Value of >= must be numeric"),
    ({"key": [{"numeric": ["<", 100, ">", 10]}]}, "Too many elements in numeric expression"),
    ({"key": [{"numeric": [">=", 1, ">", 2]}]}, "Bad numeric range operator: >"),
    ({"key": [{"numeric": [">", 3, "<", 1]}]}, "Bottom must be less than top"),
    ({"key": [{"numeric": [">", 20, "<="]}]}, "Value of <= must be numeric"),
    ({"key": [{"numeric": [">", 20, 30]}]}, "Bad value in numeric range: 30"),
    ({"key": [{"numeric": [">", 20, "test"]}]}, "Bad numeric range operator: test"),
    ({"key": [{"numeric": [">", "20", "<", "30"]}]}, "Value of > must be numeric"),
    ({"key": [{"numeric": [">", 20, "<", "30"]}]}, "Value of < must be numeric"),
    ({"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]},
     "Too many terms in numeric range expression"),
    ({"key": [{"exists": None}]}, "exists match pattern must be either true or false."),
    ({"key": [{"exists": "no"}]}, "exists match pattern must be either true or false."),
    ({"key": [{"anything-but": {"wrong-operator": None}}]},
     "Unsupported anything-but pattern: wrong-operator"),
    ({"key": [{"anything-but": {"suffix": "test"}}]}, "Unsupported anything-but pattern: suffix"),
    ({"key": [{"anything-but": {"exists": False}}]}, "Unsupported anything-but pattern: exists"),
    ({"key": [{"anything-but": {"prefix": False}}]}, "prefix match pattern must be a string"),
    ({k: ["1"] for k in "abcdef"}, "Filter policy can not have more than 5 keys"),
    ({"a": list(range(13)), "b": list(range(13))}, "Filter policy is too complex"),
]  # fmt: skip


@pytest.fixture
def endpoint(sqs, make_queue):
    return queue_arn(sqs, make_queue())


@pytest.mark.parametrize(("policy", "why"), CASES)
def test_subscribe_refuses_in_aws_words(sns, make_topic, endpoint, policy, why):
    topic = make_topic()
    expect_error(
        lambda: sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=endpoint,
            Attributes={"FilterPolicy": json.dumps(policy)},
        ),
        "InvalidParameter",
        f"Invalid parameter: Attributes Reason: FilterPolicy: {why}",
    )


def test_set_subscription_attributes_words(sns, make_topic, endpoint):
    """snapshot: test_sub_filter_policy_nested_property / sub-filter-policy-nested-error;
    test_sub_filter_policy_nested_property_constraints / sub-filter-policy-max-attr-keys,
    sub-filter-policy-rule-no-list."""
    topic = make_topic()
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)["SubscriptionArn"]
    set_policy = lambda policy: sns.set_subscription_attributes(  # noqa: E731
        SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue=json.dumps(policy)
    )
    expect_error(
        lambda: set_policy({"object": {"key": [{"prefix": "auto-"}]}}),
        "InvalidParameter",
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested "
        "filter policy",
    )
    expect_error(
        lambda: set_policy({k: ["1"] for k in "abcdef"}),
        "InvalidParameter",
        "Invalid parameter: FilterPolicy: Filter policy can not have more than 5 keys",
    )
    expect_error(
        lambda: set_policy({"key_a": "value_one"}),
        "InvalidParameter",
        'Invalid parameter: FilterPolicy: "key_a" must be an object or an array',
    )
