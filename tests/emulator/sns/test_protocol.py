"""The query protocol at the HTTP level: what boto3 would never send still gets an XML 4xx."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest


def post_form(endpoint: str, body: bytes) -> tuple[int, str]:
    request = urllib.request.Request(
        endpoint + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.mark.parametrize(
    "body",
    [
        b"Action=CreateTopic&Name.member.x=1",  # list items are numbered
        b"Action=Publish&TopicArn=a&TopicArn.x=b",  # one name, two shapes
        b"Action=CreateTopic&Attributes.entry.1.key=a",  # a map entry without a value
        b"Action=Publish&" + b"&".join(b"a%d=1" % i for i in range(2100)),
    ],
)
def test_malformed_forms_are_400_xml(sqs_endpoint, body):
    status, text = post_form(sqs_endpoint, body)
    assert status == 400
    assert "<ErrorResponse" in text and "<Code>MalformedQueryString</Code>" in text


def test_missing_parameter_and_wrong_types(sqs_endpoint):
    status, text = post_form(sqs_endpoint, b"Action=CreateTopic")
    assert status == 400 and "<Code>ValidationError</Code>" in text
    status, text = post_form(sqs_endpoint, b"Action=CreateTopic&Name.member.1=a")
    assert status == 400 and "<Code>InvalidParameter</Code>" in text
    status, text = post_form(sqs_endpoint, b"Action=Publish&TopicArn=x&Message=%FF%FE")
    assert status == 400 and "<Code>InvalidParameter</Code>" in text


def test_sqs_query_requests_still_get_the_upgrade_hint(sqs_endpoint):
    status, text = post_form(sqs_endpoint, b"Action=SendMessage&QueueUrl=x&MessageBody=y")
    assert status == 400 and "AWS JSON 1.0 protocol" in text


def test_the_query_protocol_answers_xml_with_a_request_id(sqs_endpoint):
    status, text = post_form(sqs_endpoint, b"Action=ListTopics&Version=2010-03-31")
    assert status == 200
    assert text.startswith('<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">')
    assert "<RequestId>" in text
