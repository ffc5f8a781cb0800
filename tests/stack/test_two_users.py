"""Two OS users on one machine (a JupyterHub with LocalSpawner): the second cannot reach the first's
stack (issue 23).

As root (CI runs so) the test creates a second user, starts a stack as root in a LABKIT_HOME that
starts out world-readable (as an older labkit left it), and runs `tests/stack/intruder.py` as
the second user with what he could learn on the machine: the ports, the account id and ARNs,
the file paths. Every attack must be refused: Redis (the stack's real one and a pure-Python
one) asks for a password, the emulator answers AWS's signature error for every account and for
its admin routes, the files cannot be read. Then the owner's queue, message, topic, filter and
clock are as they were, and the owner's own clients still work.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from labkit.net import free_port

HERE = Path(__file__).resolve().parent


def _can_run(user: str, python: str) -> bool:
    done = subprocess.run(
        ["runuser", "-u", user, "--", python, "-c", "import json, hmac"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.fixture(scope="module")
def intruder() -> Iterator[tuple[str, str]]:
    """A second OS user and a Python 3 that user may run; removed afterwards."""
    if os.name != "posix" or os.geteuid() != 0:
        pytest.skip("needs root to create a second OS user (CI runs the tests as root)")
    if not (shutil.which("useradd") and shutil.which("runuser")):
        pytest.skip("useradd/runuser are not installed")
    user = f"lkother{os.getpid() % 100000}"
    subprocess.run(
        ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", user],
        check=True,
        capture_output=True,
    )
    try:
        pythons = [os.path.realpath(sys.executable), "/usr/bin/python3", "/usr/local/bin/python3"]
        python = next((p for p in pythons if os.path.exists(p) and _can_run(user, p)), None)
        if python is None:
            pytest.skip("no Python 3 the second user may run")
        yield user, python
    finally:
        subprocess.run(["userdel", user], check=False, capture_output=True)


@pytest.fixture(scope="module")
def owned_stack(intruder) -> Iterator[dict]:
    """The owner's stack, in a LABKIT_HOME that starts out 0755 under a 0755 folder."""
    base = Path(tempfile.mkdtemp(prefix="labkit-two-users-"))
    base.chmod(0o755)
    home = base / "home"
    home.mkdir(mode=0o755)
    home.chmod(0o755)
    env = {"LABKIT_HOME": str(home), "LABKIT_STACK_REDIS_DB": "1"}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        # the stack's own redis-server is under test, not a Redis the machine already runs
        # (CI points LABKIT_REDIS_URL at its shared, passwordless one)
        mp.delenv("LABKIT_REDIS_URL", raising=False)
        import labkit
        from labkit.stack.redis import RedisServer, start_redis_server

        lab = labkit.up(sqs_port=free_port(), api_port=free_port())
        pure = RedisServer((sys.executable, "-m", "labkit.fake_redis"), "fakeredis", "fakeredis")
        fake_proc, fake_url = start_redis_server(server=pure)
        try:
            yield {"lab": lab, "home": home, "fake_url": fake_url}
        finally:
            fake_proc.terminate()
            fake_proc.wait(10)
            labkit.down()
            shutil.rmtree(base, ignore_errors=True)


def _victim(lab) -> dict:
    """A queue with a message in it, a topic, and the queue subscribed with a filter."""
    sqs, sns = lab.sqs, lab.sns
    queue = sqs.create_queue(QueueName="victim")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="the student's message")
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    topic = sns.create_topic(Name="victim-topic")["TopicArn"]
    sub = sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn["Attributes"]["QueueArn"],
        Attributes={"FilterPolicy": json.dumps({"kind": ["mine"]})},
    )["SubscriptionArn"]
    return {"queue_url": queue, "topic_arn": topic, "subscription_arn": sub}


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def test_another_user_cannot_reach_the_stack(owned_stack, intruder, tmp_path) -> None:
    lab, home = owned_stack["lab"], owned_stack["home"]
    victim = _victim(lab)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700, "LABKIT_HOME made private"
    files = [home / "stack.json", home / "taskoverflow.sqlite3", *home.glob("logs/*.log")]
    files += list(home.glob("redis-data/*"))
    target = {
        "sqs": lab.urls["sqs"],
        "account": lab.account,
        **victim,
        "redis": {
            "redis-server": _port(lab.urls["redis"]),
            "fakeredis": _port(owned_stack["fake_url"]),
        },
        "files": [str(path) for path in files if path.is_file()],
    }
    place = Path(tempfile.mkdtemp(prefix="intruder-"))
    place.chmod(0o755)
    script, given = place / "intruder.py", place / "target.json"
    shutil.copy(HERE / "intruder.py", script)
    given.write_text(json.dumps(target))
    for path in (script, given):
        path.chmod(0o644)
    user, python = intruder
    done = subprocess.run(
        ["runuser", "-u", user, "--", python, str(script), str(given)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=place,
        check=False,
    )
    shutil.rmtree(place, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    print("\n" + "\n".join(f"{name}: {answer[:90]}" for name, answer in results.items()))
    held = {name: answer for name, answer in results.items() if not _refused(name, answer)}
    assert not held, f"attacks that got through: {json.dumps(held, indent=1)}"
    assert len(results) >= 30
    assert not Path("/tmp/pwned").exists()
    _owner_still_whole(lab, victim)


def _refused(name: str, answer: str) -> bool:
    if name.startswith("redis "):
        # redis-server names a renamed-away command unknown before it asks for the password
        return answer.startswith(("-NOAUTH", "-WRONGPASS", "-ERR unknown command"))
    if name.startswith("file "):
        return answer == "refused PermissionError"
    status = answer.split(" ", 1)[0]
    return status == "403"


def _owner_still_whole(lab, victim: dict) -> None:
    """Nothing the intruder tried changed the owner's queue, topic, filter or clock."""
    sqs, sns = lab.sqs, lab.sns
    got = sqs.receive_message(QueueUrl=victim["queue_url"], WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["the student's message"]
    topics = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    assert victim["topic_arn"] in topics
    attributes = sns.get_subscription_attributes(SubscriptionArn=victim["subscription_arn"])
    assert json.loads(attributes["Attributes"]["FilterPolicy"]) == {"kind": ["mine"]}
    assert lab.admin.settings().get("duplicate_rate", 0) in (0, 0.0, None)
