"""The one policy evaluator SQS and SNS share (IAM User Guide, "Policy evaluation logic" and
"IAM JSON policy elements": https://docs.aws.amazon.com/IAM/latest/UserGuide/
reference_policies_evaluation-logic.html)."""

from __future__ import annotations

import json

import pytest

from labkit.emulator.policies import ALLOW, DENY, NONE, Request, allows, evaluate, like

QUEUE = "arn:aws:sqs:us-east-1:111111111111:inbox"
TOPIC = "arn:aws:sns:us-east-1:111111111111:events"


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


SNS_SENDS = {
    "Effect": "Allow",
    "Principal": {"Service": "sns.amazonaws.com"},
    "Action": "sqs:SendMessage",
    "Resource": QUEUE,
    "Condition": {"ArnEquals": {"aws:SourceArn": TOPIC}},
}


def sns_request(source: str = TOPIC, action: str = "sqs:SendMessage") -> Request:
    return Request(action, QUEUE, service="sns.amazonaws.com", context={"aws:SourceArn": source})


def test_the_terraform_statement_lets_its_topic_send_and_nothing_else():
    text = policy(SNS_SENDS)
    assert evaluate(text, sns_request()) == ALLOW
    assert evaluate(text, sns_request(source=TOPIC + "-other")) == NONE
    assert evaluate(text, sns_request(action="sqs:ReceiveMessage")) == NONE
    assert evaluate(text, Request("sqs:SendMessage", QUEUE, account="111111111111")) == NONE
    assert evaluate(None, sns_request()) == NONE and evaluate("{oops", sns_request()) == NONE


@pytest.mark.parametrize(
    "principal",
    ["*", {"AWS": "*"}, {"AWS": "222222222222"}, {"AWS": "arn:aws:iam::222222222222:root"},
     {"AWS": ["333333333333", "arn:aws:iam::222222222222:user/alice"]}],
)  # fmt: skip
def test_account_principals(principal):
    text = policy({"Effect": "Allow", "Principal": principal, "Action": "SQS:*", "Resource": "*"})
    assert allows(text, Request("sqs:ReceiveMessage", QUEUE, account="222222222222"))


def test_actions_ignore_case_and_take_wildcards_resources_do_not_ignore_case():
    base = {"Effect": "Allow", "Principal": "*"}
    request = Request("sqs:SendMessage", QUEUE, account="2" * 12)
    assert allows(policy({**base, "Action": "SQS:send*", "Resource": QUEUE}), request)
    assert allows(policy({**base, "Action": "sqs:?endMessage", "Resource": QUEUE}), request)
    assert not allows(policy({**base, "Action": "sqs:Receive*", "Resource": QUEUE}), request)
    assert not allows(policy({**base, "Action": "sqs:*", "Resource": QUEUE.upper()}), request)
    assert allows(
        policy({**base, "NotAction": "sqs:Delete*", "Resource": "arn:aws:sqs:*"}), request
    )


def test_an_explicit_deny_wins_and_binds_the_owner():
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": QUEUE,
            "Condition": {"StringNotEquals": {"aws:SourceAccount": "111111111111"}}}  # fmt: skip
    text = policy(SNS_SENDS, deny)
    other = Request("sqs:SendMessage", QUEUE, service="sns.amazonaws.com",
                    context={"aws:SourceArn": TOPIC, "aws:SourceAccount": "999999999999"})  # fmt: skip
    assert evaluate(text, other) == DENY
    owner = Request("sqs:PurgeQueue", QUEUE, account="111111111111")
    assert allows(None, owner, owner="111111111111")  # the owner needs no statement
    denied = policy({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"})
    assert not allows(denied, owner, owner="111111111111")


def test_conditions():
    request = sns_request()
    for operator, value, holds in [
        ("ArnLike", "arn:aws:sns:*:111111111111:*", True),
        ("ArnNotEquals", TOPIC, False),
        ("StringEquals", TOPIC.upper(), False),
        ("StringEqualsIgnoreCase", TOPIC.upper(), True),
        ("StringLike", ["nope", "*:events"], True),
        ("StringNotLike", ["*:events", "x"], False),
    ]:
        statement = {**SNS_SENDS, "Condition": {operator: {"AWS:SOURCEARN": value}}}
        assert (evaluate(policy(statement), request) == ALLOW) is holds, operator
    missing = {**SNS_SENDS, "Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}
    assert evaluate(policy(missing), request) == NONE
    if_exists = {**SNS_SENDS, "Condition": {"StringEqualsIfExists": {"aws:SourceAccount": "1"}}}
    assert evaluate(policy(if_exists), request) == ALLOW
    null = {**SNS_SENDS, "Condition": {"Null": {"aws:SourceAccount": "true"}}}
    assert evaluate(policy(null), request) == ALLOW
    unknown = {**SNS_SENDS, "Condition": {"NumericLessThan": {"aws:SourceArn": "1"}}}
    assert evaluate(policy(unknown), request) == NONE


def test_like():
    assert like("a*c", "abbbc") and like("a?c", "abc") and not like("a?c", "abbc")
    assert like("x.y", "x.y") and not like("x.y", "xzy")
