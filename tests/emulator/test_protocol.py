"""Wire protocol: AWS-shaped errors botocore maps to its exceptions, and bad input survived."""

from __future__ import annotations

import json
import math
import socket
import struct
import threading

import pytest
from moto.sqs.models import Message as MotoMessage

from tests.emulator.conftest import post, sqs_call


def test_md5_digests_match_an_independent_implementation(sqs, make_queue):
    """Compared with moto's digest code (the SDKs' algorithm, written by others)."""
    url = make_queue()
    attributes = {
        "client": {"DataType": "String", "StringValue": "alice"},
        "count": {"DataType": "Number", "StringValue": "42.5"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
        "tagged": {"DataType": "String.custom", "StringValue": "héllo"},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="hé body", MessageAttributes=attributes)
    reference = MotoMessage("id", "hé body")
    reference.message_attributes = attributes  # moto digests raw bytes for BinaryValue
    assert sent["MD5OfMessageBody"] == reference.body_md5
    assert sent["MD5OfMessageAttributes"] == reference.attribute_md5
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MessageAttributeNames=["All"])
    message = got["Messages"][0]
    assert message["MessageAttributes"]["blob"]["BinaryValue"] == b"\x00\x01\xff"
    assert message["MessageAttributes"]["count"]["StringValue"] == "42.5"
    assert message["MD5OfMessageAttributes"] == reference.attribute_md5
    assert message["MD5OfBody"] == reference.body_md5


@pytest.mark.parametrize(
    ("headers", "body", "status", "error_type"),
    [
        ({"X-Amz-Target": "AmazonSQS.ListQueues"}, b"{not json", 400, "SerializationException"),
        ({"X-Amz-Target": "AmazonSQS.ListQueues"}, b"[1, 2]", 400, "SerializationException"),
        ({"X-Amz-Target": "AmazonSQS.Explode"}, b"{}", 400, "UnsupportedOperation"),
        ({"X-Amz-Target": "DynamoDB_20120810.ListTables"}, b"{}", 400, "UnknownOperationException"),
        (
            {"X-Amz-Target": "AmazonSQS.ReceiveMessage"},
            b'{"QueueUrl": "http://x/000000000000/q", "MaxNumberOfMessages": "ten"}',
            400,
            "InvalidParameterValueException",
        ),
        (
            {"X-Amz-Target": "AmazonSQS.SendMessage"},
            b'{"QueueUrl": 5}',
            400,
            "InvalidParameterValueException",
        ),
        (
            {"X-Amz-Target": "AmazonSQS.GetQueueUrl"},
            b"{}",
            400,
            "MissingRequiredParameterException",
        ),
    ],
)
def test_malformed_requests_get_aws_shaped_errors(
    sqs, sqs_endpoint, headers, body, status, error_type
):
    code, response_headers, parsed = post(sqs_endpoint + "/", body, headers)
    assert code == status
    assert parsed["__type"].endswith("#" + error_type)
    assert parsed["message"]
    assert "x-amzn-query-error" in {k.lower() for k in response_headers}
    assert sqs.list_queues() is not None  # still serving


def test_wrong_types_inside_valid_json(sqs_endpoint, account, make_queue):
    url = make_queue()
    for params in (
        {"QueueUrl": url, "MessageBody": 12},
        {"QueueUrl": url, "MessageBody": "x", "MessageAttributes": ["not", "a", "map"]},
        {"QueueUrl": url, "MessageBody": "x", "MessageAttributes": {"a": {"DataType": "String"}}},
        {"QueueUrl": url, "MessageBody": "x", "DelaySeconds": True},
    ):
        status, _, parsed = sqs_call(sqs_endpoint, "SendMessage", params, account)
        assert status == 400, params
        assert parsed["__type"].endswith("#InvalidParameterValueException"), parsed
    status, _, parsed = sqs_call(
        sqs_endpoint, "SendMessageBatch", {"QueueUrl": url, "Entries": "x"}, account
    )
    assert status == 400 and parsed["__type"].endswith("#InvalidParameterValueException")
    # Found by the reliability fuzz: a list nested in a list of names was a 500.
    for name in ("AttributeNames", "MessageAttributeNames", "MessageSystemAttributeNames"):
        status, _, parsed = sqs_call(
            sqs_endpoint, "ReceiveMessage", {"QueueUrl": url, name: [["All"]]}, account
        )
        assert status == 400 and parsed["__type"].endswith("#InvalidParameterValueException")


def test_oversized_request_is_refused_and_server_keeps_serving(sqs, sqs_endpoint):
    code, _, parsed = post(
        sqs_endpoint + "/", b"x" * (5 * 1024 * 1024), {"X-Amz-Target": "AmazonSQS.ListQueues"}
    )
    assert code == 413
    assert "RequestEntityTooLarge" in parsed["__type"]
    assert isinstance(sqs.list_queues(), dict)


def test_query_protocol_is_answered_with_a_clear_error(sqs_endpoint):
    code, _, parsed = post(
        sqs_endpoint + "/",
        b"Action=ListQueues&Version=2012-11-05",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert code == 400
    assert "JSON" in parsed["raw"] and "InvalidAction" in parsed["raw"]


def test_admin_endpoints(sqs_endpoint, account):
    import urllib.request

    with urllib.request.urlopen(sqs_endpoint + "/_labkit/health", timeout=5) as response:
        assert response.status == 200
        assert response.read() == b'{"status":"ok"}'
    mine = {"account": account}  # the admin routes act in this file's account alone
    code, _, parsed = post(
        sqs_endpoint + "/_labkit/clock", {"advance": -5, **mine}, account=account
    )
    assert code == 400 and "advance" in parsed["error"]
    code, _, parsed = post(
        sqs_endpoint + "/_labkit/config", {"duplicate_rate": 2, **mine}, account=account
    )
    assert code == 400
    code, _, parsed = post(sqs_endpoint + "/_labkit/nope", {})
    assert code == 404


def test_any_credentials_and_region_from_the_signature(sqs_endpoint, queue_name):
    import boto3

    client = boto3.client(
        "sqs",
        endpoint_url=sqs_endpoint,
        region_name="ap-southeast-2",
        aws_access_key_id="ASIAANYTHING",
        aws_secret_access_key="whatever",
        aws_session_token="token",
    )
    url = client.create_queue(QueueName=queue_name)["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    assert arn["QueueArn"] == f"arn:aws:sqs:ap-southeast-2:000000000000:{queue_name}"
    client.delete_queue(QueueUrl=url)


def test_clock_refuses_infinite_and_nan_advances(sqs_endpoint, account):
    for raw in (b"NaN", b"Infinity", b"1e999"):
        body = b'{"advance": ' + raw + b', "account": "' + account.encode() + b'"}'
        code, _, parsed = post(sqs_endpoint + "/_labkit/clock", body, account=account)
        assert code == 400 and "finite" in parsed["error"], raw
    code, _, parsed = post(
        sqs_endpoint + "/_labkit/clock", {"advance": 0, "account": account}, account=account
    )
    assert code == 200 and math.isfinite(parsed["now"]) and parsed["offset"] >= 0


def _request(action: str, params: dict) -> bytes:
    body = json.dumps(params).encode()
    head = (
        f"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: AmazonSQS.{action}\r\n"
        f"Content-Type: application/x-amz-json-1.0\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def test_a_caller_hanging_up_mid_reply_prints_nothing(capfd):
    """In-process the server shares the notebook's stderr: a hang-up must not print there."""
    from labkit.emulator.server import start

    handle = start()
    try:
        before = set(threading.enumerate())
        conn = socket.create_connection((handle.host, handle.port))
        conn.sendall(_request("CreateQueue", {"QueueName": "hangup"}))
        assert conn.recv(65536).startswith(b"HTTP/1.1 200")
        (worker,) = [t for t in threading.enumerate() if t not in before]
        poll = {"QueueUrl": f"{handle.url}/000000000000/hangup", "WaitTimeSeconds": 1}
        conn.sendall(_request("ReceiveMessage", poll))
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()  # a reset: the poll's reply cannot be written
        handle.clock.advance(0)  # wakes the poll, which sees its caller gone
        worker.join(5)
        assert not worker.is_alive()
    finally:
        handle.stop()
    assert capfd.readouterr().err == ""
