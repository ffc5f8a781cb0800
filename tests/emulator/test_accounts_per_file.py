"""Each test file works in its own emulator account (issue 21): its queues and topics are its
own, so files pass in any order and in parallel on one shared emulator."""

from __future__ import annotations

from labkit.emulator.accounts import DEFAULT_ACCOUNT, is_account_id
from labkit.stack.clients import emulator_client
from labkit.stack.context import context_of
from tests.conftest import module_account

SIBLING = "tests.emulator.test_protocol"  # another file on the same emulator


def test_the_account_is_the_modules_own_and_stable(account) -> None:
    assert account == module_account(__name__) == module_account(__name__)
    assert is_account_id(account) and account[0] != "0" and account != DEFAULT_ACCOUNT
    other = module_account(SIBLING)
    assert is_account_id(other) and other != account


def test_the_clients_act_in_the_modules_account(sqs_endpoint, sqs, account, queue_name) -> None:
    assert context_of(sqs).account == account
    url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    assert url == f"{sqs_endpoint}/{account}/{queue_name}"
    sqs.delete_queue(QueueUrl=url)
    sns = emulator_client(sqs_endpoint, service="sns", account=account)
    assert sns.create_topic(Name="per-file")["TopicArn"].split(":")[4] == account
    sns.delete_topic(TopicArn=f"arn:aws:sns:us-east-1:{account}:per-file")


def test_a_queue_of_one_file_is_not_listed_in_anothers(sqs_endpoint, sqs, make_queue) -> None:
    theirs = emulator_client(sqs_endpoint, account=module_account(SIBLING))
    mine = make_queue()
    name = mine.rsplit("/", 1)[1]
    assert mine in sqs.list_queues(QueueNamePrefix=name)["QueueUrls"]
    assert "QueueUrls" not in theirs.list_queues(QueueNamePrefix=name)
    assert "QueueUrls" not in emulator_client(sqs_endpoint).list_queues(QueueNamePrefix=name)
    with_same_name = theirs.create_queue(QueueName=name)["QueueUrl"]
    try:
        assert with_same_name != mine, "the same name in another file's account is another queue"
        assert sqs.list_queues(QueueNamePrefix=name)["QueueUrls"] == [mine]
    finally:
        theirs.delete_queue(QueueUrl=with_same_name)
