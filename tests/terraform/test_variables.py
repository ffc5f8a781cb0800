"""variables.tf's validations, run by Terraform itself on the variables alone (no provider, so
no registry: `terraform init` and `plan` work offline), and what the review found in the rest.
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


@pytest.fixture(scope="module")
def variables_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("tf-variables")
    shutil.copy(TERRAFORM_DIR / "variables.tf", work)
    result = terraform(work, "init", "-input=false", "-backend=false")
    assert result.returncode == 0, result.stdout + result.stderr
    return work


def terraform(work: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    return subprocess.run(
        [TERRAFORM, *args, "-no-color"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def plan(work: Path, **variables: object) -> subprocess.CompletedProcess:
    args = [f"-var={name}={value}" for name, value in variables.items()]
    return terraform(work, "plan", "-input=false", *args)


@needs_terraform
@pytest.mark.parametrize(
    ("cpu", "memory"),
    [
        (256, 512),
        (256, 2048),
        (512, 4096),
        (1024, 8192),
        (4096, 30720),
        (8192, 20480),
        (16384, 122880),
    ],
)
def test_fargate_task_sizes_are_accepted(variables_only, cpu, memory):
    result = plan(variables_only, task_cpu=cpu, task_memory=memory)
    assert result.returncode == 0, result.stderr


@needs_terraform
@pytest.mark.parametrize(
    ("cpu", "memory"),
    [(256, 4096), (512, 512), (1024, 1024), (4096, 31744), (8192, 18432), (300, 1024)],
)
def test_other_task_sizes_are_refused_before_anything_is_created(variables_only, cpu, memory):
    result = plan(variables_only, task_cpu=cpu, task_memory=memory)
    assert result.returncode == 1
    assert "Fargate" in result.stderr


@needs_terraform
@pytest.mark.parametrize("password", ["short", "has@sign1", "has/slash1", "with space1"])
def test_passwords_rds_refuses_are_refused(variables_only, password):
    result = plan(variables_only, db_password=password)
    assert result.returncode == 1 and "RDS takes a master password" in result.stderr


@needs_terraform
def test_a_password_with_url_characters_is_accepted(variables_only):
    assert plan(variables_only, db_password="p:a#s?s%w~rd!").returncode == 0


def test_database_urls_urlencode_the_credentials():
    ecs = (TERRAFORM_DIR / "ecs.tf").read_text()
    assert "${urlencode(var.db_username)}:${urlencode(var.db_password)}@" in ecs
    assert "${var.db_password}" not in ecs


def test_zones_follow_the_region():
    variables = (TERRAFORM_DIR / "variables.tf").read_text()
    network = (TERRAFORM_DIR / "network.tf").read_text()
    assert '"us-east-1a"' not in variables, "a region change would keep us-east-1 zones"
    assert "default-for-az" in network and "length(self.ids) >= 2" in network
