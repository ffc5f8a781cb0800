"""The Terraform folder itself: every file parses and declares what the handout needs."""

from __future__ import annotations

import pytest

from labkit.paths import TERRAFORM_DIR
from labkit.terraform import TerraformFolder

EXPECTED_FILES = {
    "providers.tf",
    "variables.tf",
    "sqs.tf",
    "sns.tf",
    "ecr.tf",
    "network.tf",
    "alb.tf",
    "ecs.tf",
    "rds.tf",
    "outputs.tf",
}


#: The API's and the worker's task definitions and services (one `for_each` each).
APP, WORKER = 'taskoverflow["app"]', 'taskoverflow["worker"]'


@pytest.fixture(scope="module")
def folder() -> TerraformFolder:
    return TerraformFolder(TERRAFORM_DIR)


def test_every_tf_file_parses(folder: TerraformFolder) -> None:
    assert set(folder.files) >= EXPECTED_FILES, sorted(EXPECTED_FILES - set(folder.files))
    assert all(folder.files.values()), "a .tf file parsed to nothing"


def test_exactly_one_aws_provider_block_and_only_in_providers_tf(folder: TerraformFolder) -> None:
    providers = folder.providers()
    assert [name for _, name in providers].count("aws") == 1, providers
    assert {file for file, _ in providers} == {"providers.tf"}, providers
    aws = next(block["aws"] for _, block in folder.blocks("provider") if "aws" in block)
    assert folder.evaluate(aws["region"]) == "us-east-1"
    assert aws["shared_credentials_files"] == ["./credentials"]
    required = folder.blocks("terraform")
    assert len(required) == 1 and required[0][0] == "providers.tf"
    versions = required[0][1]["required_providers"][0]
    assert versions["aws"] == {"source": "hashicorp/aws", "version": "~> 5.0"}
    assert versions["docker"]["source"] == "kreuzwerker/docker"


def test_queues_are_the_handouts(folder: TerraformFolder) -> None:
    queues = folder.resources("aws_sqs_queue")
    names = {folder.evaluate(body["name"]) for body in queues.values()}
    assert {"csse6400_prac", "csse6400_prac.fifo", "ical"} <= names
    fifo = next(b for b in queues.values() if b["name"] == "csse6400_prac.fifo")
    assert fifo["fifo_queue"] is True and fifo["content_based_deduplication"] is True
    standard = next(b for b in queues.values() if b["name"] == "csse6400_prac")
    assert not standard.get("fifo_queue")


def test_ical_visibility_timeout_outlasts_the_job(folder: TerraformFolder) -> None:
    ical = next(b for b in folder.resources("aws_sqs_queue").values() if b["name"] == "ical")
    timeout = folder.evaluate(ical["visibility_timeout_seconds"])
    job = folder.evaluate("${var.ical_delay_seconds}")
    assert job == 50, "the handout's calendar job sleeps 50 s"
    assert timeout > job, f"visibility timeout {timeout} s must exceed the {job} s job"
    assert ical["lifecycle"][0]["precondition"], "Terraform itself should refuse a short timeout"


def test_both_task_definitions_carry_labrole_twice(folder: TerraformFolder) -> None:
    assert folder.data_sources("aws_iam_role")["lab"]["name"] == "LabRole"
    tasks = {t.resource: t for t in folder.task_definitions()}
    assert set(tasks) == {APP, WORKER}
    for task in tasks.values():
        assert task.execution_role.endswith(":role/LabRole"), task
        assert task.task_role.endswith(":role/LabRole"), task
        raw = folder.resources("aws_ecs_task_definition")[task.resource]
        assert raw["requires_compatibilities"] == ["FARGATE"]
        assert raw["network_mode"] == "awsvpc"


def test_containers_app_on_6400_worker_without_ports(folder: TerraformFolder) -> None:
    tasks = {t.resource: t for t in folder.task_definitions()}
    (app,) = tasks[APP].containers
    (worker,) = tasks[WORKER].containers
    assert [p["containerPort"] for p in app["portMappings"]] == [6400]
    assert app["command"][:2] == ["labkit", "api"] and "0.0.0.0" in app["command"]
    assert not worker.get("portMappings")
    assert worker["command"][:2] == ["labkit", "worker"]
    assert app["image"] == worker["image"], "one image for both services"
    for container in (app, worker):
        env = {e["name"]: e["value"] for e in container["environment"]}
        assert env["CELERY_BROKER_URL"] == "sqs://"
        assert env["CELERY_DEFAULT_QUEUE"] == "ical"
        assert env["AWS_DEFAULT_REGION"] == "us-east-1"
        assert env["CELERY_RESULT_BACKEND"].startswith("db+postgresql")
        assert env["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
        assert container["logConfiguration"]["logDriver"] == "awslogs"
        assert all(isinstance(value, str) for value in env.values()), "ECS wants strings"


def test_services_and_load_balancer_health_check(folder: TerraformFolder) -> None:
    services = {s.resource: s for s in folder.services()}
    assert services[APP].task_definition == APP
    assert services[WORKER].task_definition == WORKER
    assert services[APP].load_balancer["container_port"] == 6400
    assert services[WORKER].load_balancer is None
    for resource in folder.resources("aws_ecs_service").values():
        assert resource["launch_type"] == "FARGATE"
        assert resource["network_configuration"][0]["assign_public_ip"] is True, "no NAT"
    (group,) = folder.resources("aws_lb_target_group").values()
    assert group["health_check"][0]["path"] == "/api/v1/health"
    assert folder.evaluate(group["port"]) == 6400 and group["target_type"] == "ip"


def test_rds_matches_the_course(folder: TerraformFolder) -> None:
    (db,) = folder.resources("aws_db_instance").values()
    assert db["engine"] == "postgres" and db["instance_class"] == "db.t3.micro"
    assert db["allocated_storage"] == 20 and db["skip_final_snapshot"] is True
    assert folder.evaluate(db["username"]) == "administrator"
    assert folder.evaluate(db["db_name"]) == "todo"
    variables = {name: body for _, b in folder.blocks("variable") for name, body in b.items()}
    assert variables["db_password"]["sensitive"] is True
    assert variables["db_password"]["default"] == "verySecretPassword"


def test_default_vpc_and_no_nat_gateway(folder: TerraformFolder) -> None:
    assert folder.data_sources("aws_vpc")["default"]["default"] is True
    assert "default" in folder.data_sources("aws_subnets")
    assert not folder.resources("aws_nat_gateway"), "NAT gateways cost by the hour"


def test_image_is_built_from_the_repository_dockerfile(folder: TerraformFolder) -> None:
    (image,) = folder.resources("docker_image").values()
    build = image["build"][0]
    assert build["dockerfile"] == "Dockerfile" and build["platform"] == "linux/amd64"
    assert folder.resources("docker_registry_image")
    (repo,) = folder.resources("aws_ecr_repository").values()
    assert repo["force_delete"] is True, "`terraform destroy` must remove pushed images too"


def test_outputs_give_the_api_url_and_queue_urls(folder: TerraformFolder) -> None:
    outputs = {name for _, block in folder.blocks("output") for name in block}
    assert {"api_url", "queue_urls"} <= outputs


def test_container_table_joins_services_and_task_definitions(folder: TerraformFolder) -> None:
    rows = {row["container"]: row for row in folder.container_table()}
    assert rows["app"]["ports"] == [6400] and rows["app"]["load balancer"] is True
    assert rows["worker"]["ports"] == [] and rows["worker"]["load balancer"] is False
    assert {rows[c][r] for c in rows for r in ("execution role", "task role")} == {"LabRole"}
