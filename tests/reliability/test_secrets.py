"""The notebooks in aws mode with (fake) Learner Lab keys: nothing they write shows the keys.

There is no AWS here, so the endpoints point at a closed local port: each notebook's setup
fails fast with a credentials/network error, as it would for a student offline. The run may
fail; what matters is that neither the output notebook, its papermill log nor anything under
the temporary LABKIT_HOME contains the key id, the secret or the session token. The fast
version runs lesson 00; the soak version runs every lesson notebook.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from labkit.net import free_port
from labkit.paths import NOTEBOOK_DIR
from labkit.tools.runner import ensure_kernel, run_notebook

KEY_ID = "ASIA" + "FAKEKEYID7LABKIT"  # assembled, so no tracked file holds a key shape
SECRET = "fAkEsEcReT/labkit+Never+Print+This+0123456789"
TOKEN = "FwoGZXIvYXdzEFAKEsessionTOKENlabkitNEVERprintTHIS" * 3
DOTENV = {  # a second set in .env: loaded or not, it must not leak either
    "AWS_ACCESS_KEY_ID": "ASIA" + "DOTENVFAKEKEY123",
    "AWS_SECRET_ACCESS_KEY": "dotenvSecret/NeverPrint+abcdefghijklmnop",
    "AWS_SESSION_TOKEN": "dotenvTOKENneverPRINTED" * 4,
}
SECRETS = [KEY_ID, SECRET, TOKEN, *DOTENV.values()]


def run_in_aws_mode(notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Run a copy of ``notebook`` with MODE=aws; return every file it could have written."""
    work = tmp_path / "work"
    work.mkdir()
    copy = work / notebook.name
    shutil.copy(notebook, copy)
    (work / ".env").write_text("".join(f"{k}={v}\n" for k, v in DOTENV.items()))
    home = tmp_path / "home"
    closed = f"http://127.0.0.1:{free_port()}"
    for name, value in {
        "AWS_ACCESS_KEY_ID": KEY_ID,
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_SESSION_TOKEN": TOKEN,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_SQS": closed,
        "AWS_ENDPOINT_URL_STS": closed,
        "AWS_MAX_ATTEMPTS": "1",
        "LABKIT_HOME": str(home),
        # A lesson that starts a local stack must not share Redis db 0 with someone's stack.
        "LABKIT_STACK_REDIS_DB": str(int(os.environ.get("LABKIT_TEST_REDIS_DB") or 1) or 1),
    }.items():
        monkeypatch.setenv(name, value)
    ensure_kernel()
    output = tmp_path / "out" / notebook.name
    try:
        outcome = run_notebook(copy, output, [("-r", "MODE", "aws")], timeout=60)
    finally:  # a lesson that runs its worker locally (04, 06) leaves a stack up: stop it
        subprocess.run(
            [sys.executable, "-m", "labkit", "down"],
            env={**os.environ, "LABKIT_HOME": str(home)},
            capture_output=True,
            timeout=60,
        )
        stop_leftovers(home)
    assert outcome.seconds < 90, f"{notebook.name} took {outcome.seconds:.0f} s in aws mode"
    assert output.exists(), outcome.error
    print(f"\n{notebook.name} (aws, fake keys): ok={outcome.ok} {outcome.error[:160]}")
    return [p for p in tmp_path.rglob("*") if p.is_file() and p.name != ".env"]


def stop_leftovers(home: Path) -> None:
    """End anything still running under ``home`` after `labkit down` (which stops the stack
    and the lesson workers it recorded): a last guard so no test leaves a process behind."""
    leftovers = []
    for proc in psutil.process_iter():
        try:
            if proc.pid != os.getpid() and proc.environ().get("LABKIT_HOME") == str(home):
                leftovers.append(proc)
        except psutil.Error:
            continue
    for proc in leftovers:
        with contextlib.suppress(psutil.Error):
            proc.terminate()
    _, alive = psutil.wait_procs(leftovers, timeout=10)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()


def assert_no_secret(files: list[Path]) -> None:
    assert files
    for path in files:
        text = path.read_bytes().decode("utf-8", errors="replace")
        for secret in SECRETS:
            assert secret not in text, f"{path.name} contains a credential"
            # JSON escapes '/' and '+' never; still check the escaped form of the secret.
            assert secret.replace("/", "\\/") not in text, f"{path.name} contains a credential"


@pytest.mark.extended  # a whole lesson through SigV4, as lessons 01 and 08: make test-extended
def test_lesson_00_in_aws_mode_leaks_no_credentials(tmp_path, monkeypatch) -> None:
    files = run_in_aws_mode(NOTEBOOK_DIR / "00_start_here.ipynb", tmp_path, monkeypatch)
    assert_no_secret(files)
    output = next(p for p in files if p.suffix == ".ipynb" and p.parent.name == "out")
    assert "Cannot reach AWS" in output.read_text()  # the grep read the real, failed run


@pytest.mark.soak
@pytest.mark.parametrize(
    "notebook", sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem
)
def test_every_lesson_in_aws_mode_leaks_no_credentials(notebook, tmp_path, monkeypatch) -> None:
    assert_no_secret(run_in_aws_mode(notebook, tmp_path, monkeypatch))
