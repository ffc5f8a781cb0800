"""`labkit.emulator.sigv4`: signatures made by botocore verify; anyone without the stack's
secret (another OS user), a changed body or an old signature does not."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from labkit.emulator.sigv4 import ADMIN_KEY, Request, SignatureError, key_secret, verify

STACK = "the-stack-secret"


class _Nothing:
    def stream(self, **_: object):  # noqa: ANN201 - botocore's raw response protocol
        yield b""


def _signed(service: str, key: str, secret: str) -> Request:
    """The request boto3 would send for one call, as the emulator receives it (no sockets)."""
    seen = []

    def grab(request, **_: object) -> AWSResponse:  # noqa: ANN001
        seen.append(request)
        return AWSResponse(request.url, 400, {}, _Nothing())

    client = boto3.client(
        service,
        endpoint_url="http://127.0.0.1:9324/",
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
    )
    client.meta.events.register("before-send", grab)
    with pytest.raises(Exception):  # noqa: B017 - the canned 400 answer
        if service == "sqs":
            client.send_message(QueueUrl="http://127.0.0.1:9324/123456789012/q", MessageBody="é ~[")
        else:
            client.publish(TopicArn="arn:aws:sns:us-east-1:000000000000:t", Message="a+b&c=é")
    sent = seen[-1]
    parts = urlsplit(sent.url)
    headers = {
        k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in sent.headers.items()
    }
    headers["host"] = parts.netloc
    body = sent.body if isinstance(sent.body, bytes) else (sent.body or "").encode()
    return Request(sent.method, parts.path, parts.query, headers, body)


@pytest.mark.parametrize(
    ("service", "key", "account"),
    [("sqs", "123456789012", "123456789012"), ("sns", "labkit", "000000000000")],
)
def test_botocore_signatures_verify_and_name_the_account(service, key, account) -> None:
    caller = verify(_signed(service, key, key_secret(STACK, key)), STACK)
    assert caller.account == account and caller.access_key == key


@pytest.mark.parametrize("key", ["123456789012", "000000000000", "labkit", ADMIN_KEY])
def test_without_the_stack_secret_every_account_is_refused(key: str) -> None:
    """Another user knows the key ids (they are account ids) but not the stack's secret."""
    for guess in ("labkit", "", key_secret("another-stack", key)):
        with pytest.raises(SignatureError) as caught:
            verify(_signed("sqs", key, guess or "x"), STACK)
        assert caught.value.code == "SignatureDoesNotMatch" and caught.value.status == 403


def test_a_changed_body_an_unsigned_request_and_an_old_signature_are_refused() -> None:
    good = _signed("sqs", "labkit", key_secret(STACK, "labkit"))
    changed = Request(good.method, good.path, good.query, good.headers, good.body + b" ")
    with pytest.raises(SignatureError, match="calculated does not match"):
        verify(changed, STACK)
    unsigned = {k: v for k, v in good.headers.items() if k != "authorization"}
    with pytest.raises(SignatureError) as caught:
        verify(Request(good.method, good.path, good.query, unsigned, good.body), STACK)
    assert caught.value.code == "MissingAuthenticationToken"
    with pytest.raises(SignatureError, match="Signature expired"):
        verify(good, STACK, now=time.time() + 16 * 60)


def test_each_key_has_its_own_secret() -> None:
    assert key_secret(STACK, "123456789012") != key_secret(STACK, "123456789013")
    assert key_secret(STACK, "labkit") != key_secret("other", "labkit")
    assert len(key_secret(STACK, ADMIN_KEY)) == 40
