"""AWS mode end to end, without AWS: `labkit up --mode aws`, `labkit queue --mode aws` and lesson
01 with MODE=aws against an endpoint on 127.0.0.1 that checks every SigV4 signature (botocore's
own signer recomputes it) and the session token, then answers as SQS (through the emulator).

The credentials come from a `.env` file, as a student's Learner Lab ones do; the endpoint from
`AWS_ENDPOINT_URL_SQS`, botocore's own variable, which labkit shows wherever it prints the
address. An expired or wrong token gets the one-line Learner Lab message; neither the secret
key nor the session token shows in anything printed or written.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit.aws_credentials import RENEW_STEP
from labkit.emulator.server import start as start_emulator
from labkit.paths import NOTEBOOK_DIR
from tests.sigv4_endpoint import Identity, SigV4Endpoint

# Learner Lab keys are temporary (ASIA...); built in two parts so no key-shaped literal is tracked.
ACCESS_KEY = "ASIA" + "QUEUELABTEST0001"
SECRET_KEY = "queueLabSecretKey/for+SigV4/tests0000000"
TOKEN = "IQoJb3JpZ2luX2VjEQueueLabSessionTokenCurrent" + "A" * 300
EXPIRED_TOKEN = "IQoJb3JpZ2luX2VjEQueueLabSessionTokenExpired" + "B" * 300
SECRETS = (SECRET_KEY, TOKEN, EXPIRED_TOKEN, TOKEN[:40], SECRET_KEY[:20])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[SigV4Endpoint]:
    """The checking endpoint, in front of an emulator of this module's own: a Learner Lab key
    acts in the default account, where tests sharing the session's emulator send the lesson's
    FIFO bodies too (and FIFO deduplication would then drop the lesson's for 5 minutes)."""
    identities = {ACCESS_KEY: Identity(SECRET_KEY, TOKEN, expired_tokens={EXPIRED_TOKEN})}
    emulator = start_emulator()
    try:
        with SigV4Endpoint(emulator.url, identities) as server:
            yield server
    finally:
        emulator.stop()


def write_env(folder: Path, token: str, secret: str = SECRET_KEY) -> None:
    (folder / ".env").write_text(
        f"AWS_ACCESS_KEY_ID={ACCESS_KEY}\n"
        f"AWS_SECRET_ACCESS_KEY={secret}\n"
        f"AWS_SESSION_TOKEN={token}\n"
    )


@pytest.fixture
def student(tmp_path: Path, endpoint: SigV4Endpoint) -> dict:
    """A folder with `.env` (current token) and the environment a student's shell would have,
    pointed at the checking endpoint; no AWS variables of the test machine leak in."""
    write_env(tmp_path, TOKEN)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "LABKIT_"))}
    env.update(AWS_ENDPOINT_URL_SQS=endpoint.url, LABKIT_HOME=str(tmp_path / "home"))
    return {"cwd": tmp_path, "env": env}


def labkit(student: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "labkit", *args],
        cwd=student["cwd"],
        env=student["env"],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, "a secret key or session token was printed"


def test_up_and_queue_sign_every_request_with_the_session_token(student, endpoint):
    start = len(endpoint.verdicts)
    up = labkit(student, "up", "--mode", "aws")
    assert up.returncode == 0, up.stderr
    assert endpoint.url in up.stdout, "the address in use is shown"
    assert "AWS_ENDPOINT_URL_SQS" in up.stdout and "not AWS" in up.stdout

    sent = labkit(student, "queue", "--mode", "aws", "--name", "csse6400_prac",
                  "--client-name", "Client 1", "--count", "20")  # fmt: skip
    assert sent.returncode == 0, sent.stderr
    received = labkit(student, "queue", "--mode", "aws", "--name", "csse6400_prac",
                      "--client-name", "Client 1", "--receive", "--max-idle", "3")  # fmt: skip
    assert received.returncode == 0, received.stderr
    assert received.stdout.count("Client 1") >= 20, received.stdout[-2000:]

    seen = endpoint.verdicts[start:]
    actions = {v.action for v in seen}
    assert {"ListQueues", "ReceiveMessage"} <= actions, actions
    assert actions & {"SendMessage", "SendMessageBatch"}, actions
    assert all(v.outcome == "forwarded" for v in seen), {v.outcome for v in seen}
    assert all(v.access_key == ACCESS_KEY and v.token == TOKEN for v in seen)
    assert_no_secret(up.stdout, up.stderr, sent.stdout, sent.stderr, received.stdout)


def test_a_bad_signature_is_refused(endpoint):
    """The check is real: a request signed with another secret key does not get through."""
    import boto3
    from botocore.exceptions import ClientError

    sqs = boto3.client(
        "sqs",
        endpoint_url=endpoint.url,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY[::-1],
        aws_session_token=TOKEN,
    )
    with pytest.raises(ClientError) as caught:
        sqs.list_queues()
    assert caught.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


@pytest.mark.parametrize(
    ("token", "words"),
    [
        (EXPIRED_TOKEN, "have expired (ExpiredToken)"),
        ("IQoJnotTheCurrentOne", "does not recognise"),
    ],
)
def test_expired_or_wrong_token_is_one_line_with_the_learner_lab_step(student, token, words):
    write_env(student["cwd"], token)
    for args in (["up", "--mode", "aws"], ["status", "--mode", "aws"],
                 ["queue", "--mode", "aws", "--name", "csse6400_prac", "--client-name", "C"]):  # fmt: skip
        result = labkit(student, *args)
        assert result.returncode == 1, (args, result.stdout, result.stderr)
        text = result.stderr.strip() if args[0] != "status" else result.stdout
        line = next(line for line in text.splitlines() if words in line)
        assert RENEW_STEP in line, line
        if args[0] != "status":
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert_no_secret(result.stdout, result.stderr)


@pytest.mark.extended  # a whole lesson through SigV4 (about a minute): make test-extended
@pytest.mark.timeout(900)
def test_lesson_01_runs_on_aws_mode(student, endpoint, tmp_path):
    notebook = next(NOTEBOOK_DIR.glob("01_*.ipynb"))
    copy = shutil.copy(notebook, student["cwd"] / notebook.name)  # beside its .env
    start = len(endpoint.verdicts)
    result = labkit(student, "run", str(copy), "-r", "MODE", "aws", "--output-dir",
                    str(tmp_path / "out"), timeout=900)  # fmt: skip
    executed = (tmp_path / "out" / notebook.name).read_text()
    assert result.returncode == 0, result.stdout + result.stderr
    seen = endpoint.verdicts[start:]
    assert {"SendMessageBatch", "ReceiveMessage"} & {v.action for v in seen}
    assert all(v.outcome == "forwarded" and v.token == TOKEN for v in seen)
    outputs = json.loads(executed)
    assert outputs["cells"], "the executed notebook was written"
    logs = "".join(p.read_text(errors="replace") for p in (tmp_path / "out").glob("*.log"))
    assert_no_secret(result.stdout, result.stderr, executed, logs)


@pytest.mark.extended  # a whole lesson through SigV4 (about a minute): make test-extended
@pytest.mark.timeout(900)
def test_lesson_08_runs_on_aws_mode(student, endpoint, tmp_path):
    """Lesson 08's topic, subscriptions and queue policies made through SigV4-signed SNS and
    SQS calls: the emulator behind the endpoint delivers only where a queue's policy lets the
    topic send, as AWS does, so the lesson's asserts hold only if its setup attached them."""
    notebook = next(NOTEBOOK_DIR.glob("08_*.ipynb"))
    copy = shutil.copy(notebook, student["cwd"] / notebook.name)
    student = {**student, "env": {**student["env"], "AWS_ENDPOINT_URL_SNS": endpoint.url}}
    start = len(endpoint.verdicts)
    result = labkit(student, "run", str(copy), "-r", "MODE", "aws", "--output-dir",
                    str(tmp_path / "out"), timeout=900)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    seen = endpoint.verdicts[start:]
    actions = {v.action for v in seen}
    assert {"CreateTopic", "Subscribe", "Publish", "SetQueueAttributes"} <= actions, actions
    assert all(v.outcome == "forwarded" and v.token == TOKEN for v in seen)
    executed = (tmp_path / "out" / notebook.name).read_text()
    logs = "".join(p.read_text(errors="replace") for p in (tmp_path / "out").glob("*.log"))
    assert_no_secret(result.stdout, result.stderr, executed, logs)
