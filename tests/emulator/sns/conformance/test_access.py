"""AWS's delivery and access rules, offline.

- SNS delivers to a queue only when the queue's policy allows it (SNS Developer Guide,
  "Sending Amazon SNS messages to an Amazon SQS queue": https://docs.aws.amazon.com/sns/latest/dg/
  subscribe-sqs-queue-to-sns-topic.html, step 2 "Give permission to the Amazon SNS topic to send
  messages to the Amazon SQS queue"); a copy it cannot deliver goes to the subscription's
  dead-letter queue ("Amazon SNS dead-letter queues": .../sns-dead-letter-queues.html), whose
  policy must allow SNS too.
- A queue answers another account only as its policy grants ("Basic examples of Amazon SQS
  policies"): ``AccessDenied``, 403, in IAM's words (``User: ... is not authorized to perform:
  sqs:sendmessage on resource: ... because no resource-based policy allows the sqs:sendmessage
  action``, as AWS answers a send another account's queue does not allow).
- A topic answers another account only as its policy grants (AWS's default policy: the owner
  alone): ``AuthorizationError``, 403 (API_Publish.html, Errors).
"""

from __future__ import annotations

import json

from labkit.terraform.topics import allow_topic
from tests.emulator.sns.conformance.conftest import error_of, expect_error
from tests.emulator.sns.conftest import bodies, queue_arn


def depth(sqs, url: str) -> int:
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(got["Attributes"]["ApproximateNumberOfMessages"])


def test_no_queue_policy_no_delivery(sns, sqs, make_topic, subscribed):
    topic = make_topic()
    bare, _ = subscribed(topic, "-bare", allowed=False)
    allowed, _ = subscribed(topic, "-allowed")
    sns.publish(TopicArn=topic, Message="who gets it")
    assert depth(sqs, bare) == 0
    assert [m["Message"] for m in bodies(sqs, allowed, 1)] == ["who gets it"]
    allow_topic(sqs, bare, topic)  # the policy terraform/sns.tf declares: now it delivers
    sns.publish(TopicArn=topic, Message="second")
    assert [m["Message"] for m in bodies(sqs, bare, 1)] == ["second"]


def test_the_policy_must_name_this_topic(sns, sqs, make_topic, make_queue):
    topic, other = make_topic("-a"), make_topic("-b")
    url = make_queue()
    allow_topic(sqs, url, other)  # aws:SourceArn is the other topic
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, url))
    sns.publish(TopicArn=topic, Message="not from the allowed topic")
    assert depth(sqs, url) == 0


def test_the_topic_owner_as_principal_is_allowed(sns, sqs, account, make_topic, make_queue):
    topic, url = make_topic(), make_queue()
    arn = queue_arn(sqs, url)
    statement = {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                 "Action": "sqs:*", "Resource": arn}  # fmt: skip
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="owner")
    assert [m["Message"] for m in bodies(sqs, url, 1)] == ["owner"]


def test_undeliverable_copy_goes_to_the_dead_letter_queue(sns, sqs, make_topic, make_queue):
    topic = make_topic()
    bare, dead = make_queue("-bare"), make_queue("-dlq")
    allow_topic(sqs, dead, topic)
    redrive = json.dumps({"deadLetterTargetArn": queue_arn(sqs, dead)})
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn(sqs, bare),
        Attributes={"RedrivePolicy": redrive},
    )
    sns.publish(TopicArn=topic, Message="to the dead letters")
    assert depth(sqs, bare) == 0
    assert [m["Message"] for m in bodies(sqs, dead, 1)] == ["to the dead letters"]


def test_dead_letter_queue_without_policy_drops(sns, sqs, make_topic, make_queue):
    topic = make_topic()
    bare, closed = make_queue("-bare"), make_queue("-closed")
    redrive = json.dumps({"deadLetterTargetArn": queue_arn(sqs, closed)})
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn(sqs, bare),
        Attributes={"RedrivePolicy": redrive},
    )
    sns.publish(TopicArn=topic, Message="dropped")
    assert depth(sqs, bare) == 0 and depth(sqs, closed) == 0


def test_another_account_is_denied_a_queue_until_granted(sqs, make_queue, other_account):
    their_sqs, _ = other_account
    url = make_queue()
    arn = queue_arn(sqs, url)
    message = (
        "User: arn:aws:iam::210987654321:root is not authorized to perform: sqs:sendmessage on "
        f"resource: {arn} because no resource-based policy allows the sqs:sendmessage action"
    )
    expect_error(lambda: their_sqs.send_message(QueueUrl=url, MessageBody="x"),
                 "AccessDenied", message, 403)  # fmt: skip
    entries = [{"Id": "1", "MessageBody": "x"}]
    expect_error(lambda: their_sqs.send_message_batch(QueueUrl=url, Entries=entries),
                 "AccessDenied", message, 403)  # fmt: skip
    sqs.add_permission(
        QueueUrl=url, Label="theirs", AWSAccountIds=["210987654321"], Actions=["SendMessage"]
    )
    their_sqs.send_message(QueueUrl=url, MessageBody="granted")
    try:
        their_sqs.receive_message(QueueUrl=url)
    except their_sqs.exceptions.ClientError as err:
        assert error_of(err)[0] == "AccessDenied"  # only SendMessage was granted
    else:
        raise AssertionError("ReceiveMessage was not granted")
    assert [m["Body"] for m in bodies(sqs, url, 1, raw=True)] == ["granted"]


def test_an_explicit_deny_wins_for_the_owner_too(sqs, account, make_queue):
    url = make_queue()
    arn = queue_arn(sqs, url)
    deny = {"Effect": "Deny", "Principal": "*", "Action": "sqs:PurgeQueue", "Resource": arn}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Statement": [deny]})})
    expect_error(
        lambda: sqs.purge_queue(QueueUrl=url),
        "AccessDenied",
        f"User: arn:aws:iam::{account}:root is not authorized to perform: sqs:purgequeue on "
        f"resource: {arn} with an explicit deny in a resource-based policy",
        403,
    )


def test_another_account_is_denied_a_topic_until_granted(sns, make_topic, other_account):
    _, their_sns = other_account
    topic = make_topic()
    expect_error(
        lambda: their_sns.publish(TopicArn=topic, Message="x"),
        "AuthorizationError",
        "User: arn:aws:iam::210987654321:root is not authorized to perform: SNS:Publish on "
        f"resource: {topic} because no resource-based policy allows the SNS:Publish action",
        403,
    )
    grant = {"Effect": "Allow", "Principal": {"AWS": "210987654321"}, "Action": "sns:Publish",
             "Resource": topic}  # fmt: skip
    sns.set_topic_attributes(
        TopicArn=topic,
        AttributeName="Policy",
        AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [grant]}),
    )
    assert their_sns.publish(TopicArn=topic, Message="granted")["MessageId"]
    expect_error(
        lambda: their_sns.get_topic_attributes(TopicArn=topic),
        "AuthorizationError",
        "User: arn:aws:iam::210987654321:root is not authorized to perform: "
        f"SNS:GetTopicAttributes on resource: {topic} because no resource-based policy allows "
        "the SNS:GetTopicAttributes action",
        403,
    )


def test_the_unsubscribe_link_needs_no_credentials(other_account, queue_name):
    """API_Unsubscribe.html: the call from the UnsubscribeURL needs no authentication; the link
    works for a subscription of any account."""
    import urllib.request

    their_sqs, their_sns = other_account
    topic = their_sns.create_topic(Name=queue_name)["TopicArn"]
    url = their_sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    try:
        endpoint = allow_topic(their_sqs, url, topic)
        their_sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)
        their_sns.publish(TopicArn=topic, Message="hello")
        [note] = bodies(their_sqs, url, 1)
        with urllib.request.urlopen(note["UnsubscribeURL"], timeout=10) as answer:
            assert answer.status == 200
        assert their_sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
    finally:
        their_sns.delete_topic(TopicArn=topic)
        their_sqs.delete_queue(QueueUrl=url)
