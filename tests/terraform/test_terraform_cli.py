"""The folder as Terraform sees it: `terraform fmt` always, `terraform validate` when it can.

`validate` needs the AWS and Docker provider plugins. They come from the Terraform registry,
which this machine may not reach: `terraform init` is tried once in a copy of the folder (with a
short timeout) and the test skips, saying so, when the plugins cannot be had.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from labkit.paths import TERRAFORM_DIR

TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed")


def run(args: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    return subprocess.run(
        [TERRAFORM, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


@needs_terraform
def test_terraform_fmt_is_clean() -> None:
    result = run(["fmt", "-check", "-recursive", "-diff", "-no-color"], TERRAFORM_DIR)
    assert result.returncode == 0, f"run `terraform fmt -recursive terraform/`:\n{result.stdout}"


#: What `terraform init` says when the registry cannot be reached (and only then).
UNREACHABLE = (
    "could not connect to registry",
    "failed to request discovery document",
    "Failed to query available provider packages",
)


def registry_unreachable(output: str) -> bool:
    """True when `terraform init` failed only because the provider plugins cannot be had; a
    configuration error (a broken .tf) is reported before any download and is not this."""
    text = " ".join(output.split())
    if "configuration must be valid before initialization" in text:
        return False
    return any(" ".join(marker.split()) in text for marker in UNREACHABLE)


def copy_folder(tmp_path: Path) -> Path:
    work = tmp_path / "terraform"
    shutil.copytree(
        TERRAFORM_DIR,
        work,
        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "credentials", "*.env"),
    )
    return work


def init(work: Path) -> subprocess.CompletedProcess:
    return run(["init", "-backend=false", "-input=false", "-no-color"], work, timeout=30)


@needs_terraform
def test_terraform_validate(tmp_path: Path) -> None:
    work = copy_folder(tmp_path)
    try:
        result = init(work)
    except subprocess.TimeoutExpired:
        pytest.skip("`terraform init` timed out fetching the provider plugins (no registry access)")
    if result.returncode != 0:
        output = result.stdout + result.stderr
        if registry_unreachable(output):
            pytest.skip("provider plugins unavailable: `terraform init` cannot reach the registry")
        pytest.fail(f"`terraform init` failed on the configuration:\n{output[-2000:]}")
    result = run(["validate", "-no-color"], work)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_terraform
def test_a_broken_file_is_a_failure_not_a_skip(tmp_path: Path) -> None:
    """The skip above is for a missing registry only: a .tf that does not parse must fail."""
    work = copy_folder(tmp_path)
    with open(work / "sqs.tf", "a") as tf:
        tf.write('\nresource "aws_sqs_queue" "broken" { name = }\n')
    result = init(work)
    assert result.returncode != 0
    assert not registry_unreachable(result.stdout + result.stderr), result.stdout + result.stderr
