"""labkit.aws_credentials: Learner Lab credentials are found, never shown, and AWS's verdict explained.

The keys here are fake and assembled at run time (so no file holds anything key-shaped);
check_credentials talks to a local HTTP server that answers with AWS's own error shapes.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import boto3
import pytest
from botocore.config import Config

from labkit import aws_credentials as config
from labkit.aws_credentials import (
    RENEW_STEP,
    AwsCredentials,
    CredentialsError,
    check_credentials,
    load_aws_credentials,
    mask,
    mask_secret,
)
from labkit.net import free_port

KEY = "AKIA" + "FAKE" * 2 + "ABCDMNOP"  # 20 characters, shaped like an access key id
SECRET = "s3cr3t/" + "x" * 33
TOKEN = "IQoJb3JpZ2luX2Vj" + "T0KEN" * 40


def leaks(text: str) -> list[str]:
    """Which of the fake values (or a long piece of them) appear in ``text``."""
    return [
        name
        for name, v in (("key", KEY), ("secret", SECRET), ("token", TOKEN))
        if v in text or v[:12] in text or v[-12:] in text
    ]


@pytest.fixture(autouse=True)
def no_env_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in config.ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(config, "default_search", lambda: [tmp_path])


# --- masking ------------------------------------------------------------------------------------


def test_mask_keeps_only_the_ends_of_an_access_key() -> None:
    assert mask(KEY) == "AKIA…MNOP"
    assert mask("short") == "********"
    assert mask(None) == "<none>"
    assert mask_secret(SECRET) == "********" and mask_secret("") == "<none>"


def test_repr_and_str_mask_every_value() -> None:
    creds = AwsCredentials(KEY, SECRET, TOKEN, source=".env")
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert leaks(text) == [], text
        assert "AKIA…MNOP" in text and ".env" in text


def test_scrub_masks_keys_inside_messages() -> None:
    assert config.scrub(f"bad key {KEY} here") == "bad key AKIA…MNOP here"


# --- loading ------------------------------------------------------------------------------------


def test_environment_comes_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"AWS_ACCESS_KEY_ID=OTHER{KEY}\nAWS_SECRET_ACCESS_KEY=x\n")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_SESSION_TOKEN", TOKEN)
    creds = load_aws_credentials()
    assert (creds.access_key_id, creds.secret_access_key, creds.session_token) == (
        KEY,
        SECRET,
        TOKEN,
    )
    assert creds.source == "environment"


def test_dotenv_file_as_the_handout_writes_it(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        f'TERM=xterm-256color\nAWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY="{SECRET}"\n'
        f"export AWS_SESSION_TOKEN={TOKEN}\n"
    )
    creds = load_aws_credentials([tmp_path])
    assert creds.boto3_kwargs() == {
        "aws_access_key_id": KEY,
        "aws_secret_access_key": SECRET,
        "aws_session_token": TOKEN,
    }
    assert creds.source == str(tmp_path / ".env")


def test_learner_lab_ini_block_in_credentials_or_pasted_into_env(tmp_path: Path) -> None:
    block = (
        f"[default]\naws_access_key_id={KEY}\naws_secret_access_key={SECRET}\n"
        f"aws_session_token={TOKEN}\n"
    )
    (tmp_path / "credentials").write_text(block)
    assert load_aws_credentials([tmp_path]).as_env() == {
        "AWS_ACCESS_KEY_ID": KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": TOKEN,
    }
    other = tmp_path / "other"
    other.mkdir()
    (other / "aws.env").write_text(block)
    assert load_aws_credentials([other]).source == str(other / "aws.env")


def test_search_order_files_then_folders(tmp_path: Path) -> None:
    first, second = tmp_path / "cwd", tmp_path / "repo"
    first.mkdir()
    second.mkdir()
    (second / ".env").write_text(f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY=second\n")
    (first / "credentials").write_text(
        f"[default]\naws_access_key_id={KEY}\naws_secret_access_key=first-creds\n"
    )
    (first / "aws.env").write_text(f"AWS_ACCESS_KEY_ID={KEY}\nAWS_SECRET_ACCESS_KEY=first-aws\n")
    assert load_aws_credentials([first, second]).secret_access_key == "first-aws"
    (first / "aws.env").unlink()
    assert load_aws_credentials([first, second]).secret_access_key == "first-creds"
    assert load_aws_credentials([second, first]).secret_access_key == "second"
    assert load_aws_credentials([first / "credentials"]).secret_access_key == "first-creds"


def test_partial_or_absent_credentials_give_none_and_leak_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, capsys
) -> None:
    assert load_aws_credentials([tmp_path]) is None
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)  # no secret beside it
    (tmp_path / ".env").write_text(f"AWS_ACCESS_KEY_ID={KEY}\n")
    (tmp_path / "credentials").write_text("[default\nthis is not ini")
    with caplog.at_level(logging.DEBUG):
        assert load_aws_credentials([tmp_path]) is None
    assert "only part" in caplog.text
    out = capsys.readouterr()
    assert leaks(caplog.text + out.out + out.err) == []


# --- checking against AWS-shaped answers --------------------------------------------------------

STS_OK = (
    '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    "<GetCallerIdentityResult><Arn>arn:aws:sts::000000000000:assumed-role/voclabs/user</Arn>"
    "<UserId>AROAEXAMPLE:user</UserId><Account>000000000000</Account></GetCallerIdentityResult>"
    "<ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetCallerIdentityResponse>"
)


def sts_error(code: str) -> str:
    return (
        '<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender'
        f"</Type><Code>{code}</Code><Message>The security token included in the request is "
        f"not valid ({code})</Message></Error><RequestId>1</RequestId></ErrorResponse>"
    )


class FakeAws(BaseHTTPRequestHandler):
    """Answers STS (query/XML) and SQS (JSON) calls with whatever `answer` says."""

    answer: dict = {"code": None}
    calls: list[tuple[str, str]] = []  # (operation, signing key id) of every request
    disable_nagle_algorithm = True

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        target = self.headers.get("X-Amz-Target", "")
        operation = target.rpartition(".")[2] or dict(parse_qsl(raw)).get("Action", "")
        signed = self.headers.get("Authorization", "").partition("Credential=")[2]
        self.calls.append((operation, signed.split("/", 1)[0]))
        code = self.answer["code"]
        if self.headers.get("X-Amz-Target", "").startswith("AmazonSQS."):
            status = 400 if code else 200
            body = json.dumps(
                {"__type": f"com.amazonaws.sqs#{code}", "message": "expired"}
                if code
                else {"QueueUrls": []}
            )
            content_type = "application/x-amz-json-1.0"
        else:
            status = 403 if code in ("InvalidClientTokenId", "SignatureDoesNotMatch") else 400
            status = status if code else 200
            body = sts_error(code) if code else STS_OK
            content_type = "text/xml"
        payload = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def fake_aws() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeAws)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def client(service: str, endpoint: str):
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=KEY,
        aws_secret_access_key=SECRET,
        aws_session_token=TOKEN,
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=5),
    )


def test_accepted_credentials_pass(fake_aws: str) -> None:
    FakeAws.answer["code"] = None
    FakeAws.calls.clear()
    assert check_credentials(client("sts", fake_aws)) is None
    assert check_credentials(client("sqs", fake_aws)) is None
    # each check made its one cheap call, signed with the credentials it was given
    assert FakeAws.calls == [("GetCallerIdentity", KEY), ("ListQueues", KEY)]


@pytest.mark.parametrize(
    ("service", "code", "reason"),
    [
        ("sts", "ExpiredToken", "expired"),
        ("sts", "RequestExpired", "expired"),
        ("sts", "InvalidClientTokenId", "invalid"),
        ("sts", "SignatureDoesNotMatch", "invalid"),
        ("sts", "AccessDenied", "denied"),
        ("sqs", "ExpiredToken", "expired"),
        ("sts", "Throttling", "error"),
    ],
)
def test_each_refusal_is_named_with_the_learner_lab_step(
    fake_aws: str, service: str, code: str, reason: str, capsys
) -> None:
    FakeAws.answer["code"] = code
    with pytest.raises(CredentialsError) as caught:
        check_credentials(client(service, fake_aws))
    assert caught.value.reason == reason
    message = str(caught.value)
    assert code in message
    if reason != "error":
        assert RENEW_STEP in message
    out = capsys.readouterr()
    assert leaks(message + repr(caught.value) + out.out + out.err) == []


def test_no_network_is_not_blamed_on_the_credentials() -> None:
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with pytest.raises(CredentialsError) as caught:
        check_credentials(client("sts", endpoint))
    assert caught.value.reason == "unreachable"
    assert endpoint in str(caught.value) and "network" in str(caught.value)


def test_missing_credentials(tmp_path: Path) -> None:
    with pytest.raises(CredentialsError) as caught:
        check_credentials(None)
    assert caught.value.reason == "missing"
    assert ".env" in str(caught.value) and RENEW_STEP in str(caught.value)


def test_credentials_object_is_checked_through_sts(
    fake_aws: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", fake_aws)
    FakeAws.answer["code"] = "ExpiredToken"
    with pytest.raises(CredentialsError, match="expired") as caught:
        check_credentials(AwsCredentials(KEY, SECRET, TOKEN, "test"))
    assert leaks(str(caught.value)) == []
    FakeAws.answer["code"] = None
    check_credentials(AwsCredentials(KEY, SECRET, TOKEN, "test").session())


def test_other_clients_are_refused_plainly(fake_aws: str) -> None:
    with pytest.raises(TypeError, match="STS or SQS"):
        check_credentials(client("s3", fake_aws))


def test_mask_url_hides_only_the_password() -> None:
    url = "db+postgresql+psycopg://administrator:verySecretPassword@db.example:5432/todo"
    assert config.mask_url(url) == "db+postgresql+psycopg://administrator:****@db.example:5432/todo"
    assert config.mask_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/0"
    assert config.mask_url("sqs://") == "sqs://"


def test_mask_url_hides_a_password_without_a_user() -> None:
    # Redis passwords come without a user name (`redis://:password@host`).
    secret = "s3cret" + "Redis"
    masked = config.mask_url(f"redis://:{secret}@127.0.0.1:6379/0")
    assert masked == "redis://:****@127.0.0.1:6379/0"
    assert secret not in config.mask_url(f"rediss://default:{secret}@cache.example:6380/1")
    assert config.mask_url(None) == "(not set)"


def test_one_mask_url_for_the_api_and_the_notebooks() -> None:
    from labkit.taskoverflow import settings

    url = "redis://:pw-" + "x" * 8 + "@redis:6379/0"
    assert settings.mask_url(url) == "redis://:***@redis:6379/0"
    assert config.mask_url(url) == "redis://:****@redis:6379/0"


SLASHED = "wJalr" + "XUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # holds "/", as real secrets may


@pytest.mark.parametrize(
    "url",
    [
        f"sqs://{KEY}:{SLASHED}@",
        f"sqs://{KEY}:{SLASHED}@localhost:9324",
        f"sqs://{KEY}:ab#{SLASHED}@",
        f"sqs://{KEY}:ab?{SLASHED}@",
        f"sqs://{KEY}:ab@{SLASHED}@sqs.us-east-1.amazonaws.com",
        f"https://{KEY}@sqs.us-east-1.amazonaws.com/000000000000/q",
        f"https://{KEY}:{SLASHED}@sqs.us-east-1.amazonaws.com/000000000000/q",
    ],
)
def test_mask_url_hides_every_part_of_a_secret_and_the_key_id(url: str) -> None:
    masked = config.mask_url(url)
    assert KEY not in masked and "AKIA…MNOP" in masked
    for part in SLASHED.split("/"):
        assert part not in masked, masked
    assert masked.startswith(url.split("://")[0] + "://")


def test_redact_masks_credentials_anywhere_in_a_message() -> None:
    message = (
        f"the broker at sqs://{KEY}:{SLASHED}@ cannot be reached; "
        f"aws_secret_access_key = {SLASHED} and AWS_SESSION_TOKEN={SLASHED}x"
    )
    masked = config.redact(message)
    assert KEY not in masked
    for part in SLASHED.split("/"):
        assert part not in masked, masked
    assert "cannot be reached" in masked


def test_api_503_body_hides_the_key_and_the_secret(tmp_path: Path) -> None:
    from labkit.net import free_port
    from labkit.taskoverflow.app import create_app

    closed = free_port()
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db'}",
            "CELERY_BROKER_URL": f"sqs://{KEY}:{SLASHED}@127.0.0.1:{closed}",
            "CELERY_RESULT_BACKEND": f"redis://:{SLASHED}@127.0.0.1:{closed}/0",
        }
    )
    reply = app.test_client().post("/api/v1/todos/ical")
    assert reply.status_code == 503
    text = reply.get_data(as_text=True)
    assert KEY not in text
    for part in SLASHED.split("/"):
        assert part not in text, text
