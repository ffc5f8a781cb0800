"""AddPermission and RemovePermission (API_AddPermission.html, API_RemovePermission.html):
statements in the queue's Policy, in the form recorded on AWS."""

from __future__ import annotations

import json

import pytest

from tests.emulator.conformance.conftest import error_of, expect_error


def _policy(sqs, url):
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
    return json.loads(got["Attributes"]["Policy"]) if "Attributes" in got else None


def test_permission_lifecycle(sqs, make_queue):
    """Recorded: the policy AWS writes, a repeated label refused, statements removed one by
    one, the Policy attribute gone with the last, an unknown label refused."""
    url = make_queue()
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sqs.add_permission(
        QueueUrl=url,
        Label="crossaccountpermission",
        AWSAccountIds=["668614515564", "111111111111"],
        Actions=["ReceiveMessage"],
    )
    assert _policy(sqs, url) == {
        "Version": "2008-10-17",
        "Id": f"{arn}/SQSDefaultPolicy",
        "Statement": [
            {
                "Sid": "crossaccountpermission",
                "Effect": "Allow",
                "Principal": {
                    "AWS": [
                        "arn:aws:iam::668614515564:root",
                        "arn:aws:iam::111111111111:root",
                    ]
                },
                "Action": "SQS:ReceiveMessage",
                "Resource": arn,
            }
        ],
    }
    sqs.remove_permission(QueueUrl=url, Label="crossaccountpermission")
    assert _policy(sqs, url) is None
    sqs.add_permission(
        QueueUrl=url, Label="first", AWSAccountIds=["111111111111"], Actions=["SendMessage"]
    )
    expect_error(
        lambda: sqs.add_permission(
            QueueUrl=url, Label="first", AWSAccountIds=["222222222222"], Actions=["SendMessage"]
        ),
        "InvalidParameterValue",
        "Value first for parameter Label is invalid. Reason: Already exists.",
    )
    sqs.add_permission(
        QueueUrl=url,
        Label="second",
        AWSAccountIds=["111111111111"],
        Actions=["SendMessage", "DeleteMessage"],
    )
    statements = _policy(sqs, url)["Statement"]
    assert [s["Sid"] for s in statements] == ["first", "second"]
    assert statements[0]["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert statements[1]["Action"] == ["SQS:SendMessage", "SQS:DeleteMessage"]
    sqs.remove_permission(QueueUrl=url, Label="first")
    assert [s["Sid"] for s in _policy(sqs, url)["Statement"]] == ["second"]
    sqs.remove_permission(QueueUrl=url, Label="second")
    expect_error(
        lambda: sqs.remove_permission(QueueUrl=url, Label="second"),
        "InvalidParameterValue",
        "Value second for parameter Label is invalid. Reason: can't find label.",
    )


def test_actions_and_limits(sqs, make_queue):
    """API_AddPermission.html: Actions are action names or *; only the owner may change or
    delete the queue; OverLimit when too many (CommonErrors: 403)."""
    url = make_queue()
    expect_error(
        lambda: sqs.add_permission(
            QueueUrl=url, Label="l", AWSAccountIds=["111111111111"], Actions=["DeleteQueue"]
        ),
        "InvalidParameterValue",
        "Value SQS:DeleteQueue for parameter ActionName is invalid. Reason: Only the queue "
        "owner is allowed to invoke this action.",
    )
    expect_error(
        lambda: sqs.add_permission(
            QueueUrl=url, Label="l", AWSAccountIds=["111111111111"], Actions=["Explode"]
        ),
        "InvalidParameterValue",
        "Value SQS:Explode for parameter ActionName is invalid. Reason: Please refer to the "
        "appropriate WSDL for a list of valid actions. ",
    )
    with pytest.raises(sqs.exceptions.OverLimit) as info:
        sqs.add_permission(
            QueueUrl=url,
            Label="l",
            AWSAccountIds=["111111111111"],
            Actions=["SendMessage"] * 8,
        )
    assert error_of(info.value) == (
        "OverLimit",
        "8 Actions were found, maximum allowed is 7.",
        403,
    )
    sqs.add_permission(QueueUrl=url, Label="all", AWSAccountIds=["111111111111"], Actions=["*"])
    assert _policy(sqs, url)["Statement"][0]["Action"] == "SQS:*"
