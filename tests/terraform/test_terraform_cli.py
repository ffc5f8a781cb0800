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


@needs_terraform
def test_terraform_validate(tmp_path: Path) -> None:
    work = tmp_path / "terraform"
    shutil.copytree(
        TERRAFORM_DIR,
        work,
        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "credentials", "*.env"),
    )
    try:
        init = run(["init", "-backend=false", "-input=false", "-no-color"], work, timeout=30)
    except subprocess.TimeoutExpired:
        pytest.skip("`terraform init` timed out fetching the provider plugins (no registry access)")
    if init.returncode != 0:
        output = " ".join(init.stderr.split())
        if "registry.terraform.io" in output:
            pytest.skip("provider plugins unavailable: `terraform init` cannot reach the registry")
        pytest.skip(f"provider plugins unavailable: `terraform init` failed: {output[-200:]}")
    result = run(["validate", "-no-color"], work)
    assert result.returncode == 0, result.stdout + result.stderr
