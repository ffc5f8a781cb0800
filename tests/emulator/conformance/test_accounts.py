"""Queues belong to one account and one region, as on AWS.

AWS documentation followed:
- SQS Developer Guide, "Amazon SQS queue and message identifiers" (queue URL
  ``https://sqs.<region>.amazonaws.com/<account>/<name>``; a name is unique per account and
  region): https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-queue-message-identifiers.html
- API Reference, GetQueueUrl (``QueueOwnerAWSAccountId``) and ListQueues ("a list of your
  queues in the current region"):
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueUrl.html
  https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html
The account of a key id follows the emulator convention in BRIEF.md (12 digits = that account).
"""

from __future__ import annotations

import boto3
import pytest
from botocore.config import Config

from labkit.emulator.accounts import (
    DEFAULT_ACCOUNT,
    Caller,
    account_for_key,
    caller_from_authorization,
    caller_of,
)
from tests.emulator.conftest import post


def client(endpoint: str, key: str, region: str = "us-east-1"):
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=key,
        aws_secret_access_key="not-a-secret",
        config=Config(retries={"max_attempts": 1}),
    )


def test_the_account_is_a_12_digit_key_id_else_the_default():
    assert account_for_key("123456789012") == "123456789012"
    for other in ("AKIDEXAMPLE", "12345678901", "1234567890123", "١٢٣٤٥٦٧٨٩٠١٢", ""):
        assert account_for_key(other) == DEFAULT_ACCOUNT
    signed = (
        "AWS4-HMAC-SHA256 Credential=210987654321/20260101/eu-west-2/sqs/aws4_request, "
        "SignedHeaders=host, Signature=abc"
    )
    assert caller_from_authorization(signed) == Caller("210987654321", "eu-west-2", "210987654321")
    assert caller_from_authorization(None) == Caller(DEFAULT_ACCOUNT, "us-east-1", "")
    assert caller_of({"Authorization": signed}).region == "eu-west-2"
    assert caller_of({}).arn("sns", "t") == "arn:aws:sns:us-east-1:000000000000:t"


def test_same_name_in_two_accounts_are_two_queues(sqs_endpoint, queue_name):
    alice, bob = client(sqs_endpoint, "111111111111"), client(sqs_endpoint, "222222222222")
    a_url = alice.create_queue(QueueName=queue_name)["QueueUrl"]
    b_url = bob.create_queue(QueueName=queue_name)["QueueUrl"]
    try:
        assert a_url == f"{sqs_endpoint}/111111111111/{queue_name}"
        assert b_url == f"{sqs_endpoint}/222222222222/{queue_name}"
        arn = alice.get_queue_attributes(QueueUrl=a_url, AttributeNames=["QueueArn"])
        assert arn["Attributes"]["QueueArn"] == f"arn:aws:sqs:us-east-1:111111111111:{queue_name}"
        alice.send_message(QueueUrl=a_url, MessageBody="for alice")
        assert "Messages" not in bob.receive_message(QueueUrl=b_url, WaitTimeSeconds=0)
        assert alice.get_queue_url(QueueName=queue_name)["QueueUrl"] == a_url
        assert bob.get_queue_url(QueueName=queue_name)["QueueUrl"] == b_url
        assert a_url in alice.list_queues(QueueNamePrefix=queue_name)["QueueUrls"]
        assert a_url not in bob.list_queues(QueueNamePrefix=queue_name).get("QueueUrls", [])
        # QueueOwnerAWSAccountId names another account's queue: bob may use it once alice's
        # queue policy grants bob (AddPermission), not before (test_cross_account.py)
        alice.add_permission(
            QueueUrl=a_url, Label="bob", AWSAccountIds=["222222222222"], Actions=["GetQueueUrl"]
        )
        other = bob.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId="111111111111")
        assert other["QueueUrl"] == a_url
        with pytest.raises(bob.exceptions.QueueDoesNotExist):
            bob.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId="333333333333")
    finally:
        alice.delete_queue(QueueUrl=a_url)
        bob.delete_queue(QueueUrl=b_url)


def test_a_key_id_that_is_not_an_account_uses_the_class_account(sqs_endpoint, queue_name):
    url = client(sqs_endpoint, "AKIDSOMEONE").create_queue(QueueName=queue_name)["QueueUrl"]
    try:
        assert url == f"{sqs_endpoint}/000000000000/{queue_name}"
        found = client(sqs_endpoint, "000000000000").get_queue_url(QueueName=queue_name)
        assert found["QueueUrl"] == url
    finally:
        client(sqs_endpoint, "x").delete_queue(QueueUrl=url)


def test_queues_are_scoped_by_region(sqs_endpoint, account, queue_name):
    west2 = client(sqs_endpoint, account, "us-west-2")
    west1 = client(sqs_endpoint, account, "us-west-1")
    url = west2.create_queue(QueueName=queue_name)["QueueUrl"]
    try:
        arn = west2.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        assert arn["Attributes"]["QueueArn"] == f"arn:aws:sqs:us-west-2:{account}:{queue_name}"
        assert url in west2.list_queues(QueueNamePrefix=queue_name)["QueueUrls"]
        assert "QueueUrls" not in west1.list_queues(QueueNamePrefix=queue_name)
        with pytest.raises(west1.exceptions.QueueDoesNotExist):
            west1.get_queue_url(QueueName=queue_name)
        with pytest.raises(west1.exceptions.QueueDoesNotExist):
            west1.send_message(QueueUrl=url, MessageBody="wrong region")
        # the same name in another region is another queue
        other = west1.create_queue(QueueName=queue_name)["QueueUrl"]
        assert west1.get_queue_attributes(QueueUrl=other, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"].startswith("arn:aws:sqs:us-west-1:")
        west1.delete_queue(QueueUrl=other)
    finally:
        west2.delete_queue(QueueUrl=url)


def test_a_dead_letter_queue_is_found_in_the_same_account(sqs_endpoint, account, queue_name):
    carol = client(sqs_endpoint, "444444444444")
    dlq = carol.create_queue(QueueName=f"{queue_name}-dlq")["QueueUrl"]
    arn = carol.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]
    policy = f'{{"deadLetterTargetArn":"{arn["QueueArn"]}","maxReceiveCount":"1"}}'
    src = carol.create_queue(QueueName=queue_name, Attributes={"RedrivePolicy": policy})["QueueUrl"]
    try:
        sources = carol.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]
        assert sources == [src]
        with pytest.raises(carol.exceptions.QueueDoesNotExist):
            # another account (this file's) has no such dead-letter queue
            client(sqs_endpoint, account).list_dead_letter_source_queues(
                QueueUrl=dlq.replace("444444444444", account)
            )
    finally:
        carol.delete_queue(QueueUrl=src)
        carol.delete_queue(QueueUrl=dlq)


def test_admin_reset_of_one_account_empties_its_queues_and_dedup(sqs_endpoint, queue_name):
    mine, theirs = client(sqs_endpoint, "555555555555"), client(sqs_endpoint, "666666666666")
    attrs = {"FifoQueue": "true", "ContentBasedDeduplication": "true"}
    name = f"{queue_name}.fifo"
    urls = [c.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"] for c in (mine, theirs)]
    try:
        for c, url in zip((mine, theirs), urls, strict=True):
            c.send_message(QueueUrl=url, MessageBody="once", MessageGroupId="g")
        code, _, body = post(sqs_endpoint + "/_labkit/reset", {"account": "555555555555"})
        assert code == 200 and body["status"] == "emptied" and body["messages"] == 1
        assert body["queues"] == [name]
        counts = mine.get_queue_attributes(QueueUrl=urls[0], AttributeNames=["All"])["Attributes"]
        assert counts["ApproximateNumberOfMessages"] == "0"
        assert counts["ContentBasedDeduplication"] == "true"  # the queue itself stays
        mine.send_message(QueueUrl=urls[0], MessageBody="once", MessageGroupId="g")
        got = mine.receive_message(QueueUrl=urls[0], WaitTimeSeconds=1)["Messages"]
        assert [m["Body"] for m in got] == ["once"], "deduplication was forgotten"
        other = theirs.get_queue_attributes(
            QueueUrl=urls[1], AttributeNames=["ApproximateNumberOfMessages"]
        )
        assert other["Attributes"]["ApproximateNumberOfMessages"] == "1"
    finally:
        for c, url in zip((mine, theirs), urls, strict=True):
            c.delete_queue(QueueUrl=url)
    for bad in ({"account": "12345"}, {"queue": "q"}, {"account": 123456789012}):
        code, _, body = post(sqs_endpoint + "/_labkit/reset", bad)
        assert code == 400 and "error" in body, bad


def test_admin_clock_and_seed_of_one_account(sqs_endpoint, queue_name):
    """Emulator-only admin routes (AWS has none): one account's time moves, others' stays."""
    mine, theirs = client(sqs_endpoint, "777777777777"), client(sqs_endpoint, "888888888888")
    urls = [c.create_queue(QueueName=queue_name)["QueueUrl"] for c in (mine, theirs)]
    try:
        for c, url in zip((mine, theirs), urls, strict=True):
            c.send_message(QueueUrl=url, MessageBody="m")
            assert c.receive_message(QueueUrl=url, VisibilityTimeout=100, WaitTimeSeconds=1)[
                "Messages"
            ]
        code, _, body = post(
            sqs_endpoint + "/_labkit/clock", {"advance": 101, "account": "777777777777"}
        )
        assert code == 200 and body["offset"] >= 101
        again = mine.receive_message(QueueUrl=urls[0], WaitTimeSeconds=1)
        assert [m["Body"] for m in again["Messages"]] == ["m"], "its visibility timeout ended"
        hidden = theirs.get_queue_attributes(
            QueueUrl=urls[1], AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
        )
        assert hidden["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
        code, _, body = post(
            sqs_endpoint + "/_labkit/config", {"seed": 5, "account": "777777777777"}
        )
        assert code == 200 and body["account"] == "777777777777" and body["seed"] == 5
    finally:
        for c, url in zip((mine, theirs), urls, strict=True):
            c.delete_queue(QueueUrl=url)
