"""labkit.terraform.queue_definitions: Terraform's queues as SQS API attributes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labkit.terraform import (
    QueueDefinition,
    TerraformError,
    TerraformFolder,
    Unresolved,
    ensure_queues,
    queue_definitions,
    queue_drift,
    with_prefix,
)

DLQ_ARN = "arn:aws:sqs:us-east-1:000000000000:ical-dead-letter"


def test_the_lab_queues_with_their_attributes() -> None:
    queues = {q.name: q for q in queue_definitions()}
    assert set(queues) == {
        "csse6400_prac",
        "csse6400_prac.fifo",
        "ical",
        "ical-dead-letter",
        "todo-events-calendar",
        "todo-events-email",
        "todo-events-audit",
    }
    assert queues["csse6400_prac"].attributes == {}
    assert queues["csse6400_prac.fifo"].attributes == {
        "FifoQueue": "true",
        "ContentBasedDeduplication": "true",
    }
    ical = queues["ical"].attributes
    assert ical["VisibilityTimeout"] == "300"
    assert json.loads(ical["RedrivePolicy"]) == {
        "deadLetterTargetArn": DLQ_ARN,
        "maxReceiveCount": 5,
    }
    assert queues["ical-dead-letter"].attributes == {"MessageRetentionPeriod": "1209600"}
    assert all(isinstance(v, str) for q in queues.values() for v in q.attributes.values())
    assert not any(q.skipped for q in queues.values())


def test_dead_letter_queue_comes_before_its_user() -> None:
    names = [q.name for q in queue_definitions()]
    assert names.index("ical-dead-letter") < names.index("ical")


def test_variable_overrides_follow_through() -> None:
    queues = {q.name: q for q in queue_definitions(variables={"ical_visibility_timeout": 600})}
    assert queues["ical"].attributes["VisibilityTimeout"] == "600"


def write(tmp_path: Path, text: str, name: str = "main.tf") -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


def test_every_mapped_argument_and_reference_kinds(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
provider "aws" {
  region = var.region
}
variable "region" {
  default = "eu-west-1"
}
locals {
  wait = 20
}
resource "aws_sqs_queue" "jobs" {
  name                       = "jobs-${var.suffix}"
  visibility_timeout_seconds = 45
  message_retention_seconds  = 3600
  delay_seconds              = 2
  receive_wait_time_seconds  = local.wait
  max_message_size           = 2048
  redrive_policy             = "{\\"deadLetterTargetArn\\":\\"${aws_sqs_queue.dead.arn}\\",\\"maxReceiveCount\\":3}"
  tags                       = { course = "csse6400" }
  sqs_managed_sse_enabled    = true
}
resource "aws_sqs_queue" "dead" {
  name = "dead"
}
variable "suffix" {
  type    = string
  default = "v1"
}
""",
    )
    (jobs,) = [q for q in queue_definitions(tmp_path) if q.name == "jobs-v1"]
    assert jobs.attributes == {
        "VisibilityTimeout": "45",
        "MessageRetentionPeriod": "3600",
        "DelaySeconds": "2",
        "ReceiveMessageWaitTimeSeconds": "20",
        "MaximumMessageSize": "2048",
        "RedrivePolicy": '{"deadLetterTargetArn":"arn:aws:sqs:eu-west-1:000000000000:dead",'
        '"maxReceiveCount":3}',
    }
    assert [a for a, _ in jobs.skipped] == ["sqs_managed_sse_enabled"]
    assert [q.name for q in queue_definitions(tmp_path)] == ["dead", "jobs-v1"]


def test_unresolvable_expressions_are_skipped_with_a_reason(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
variable "no_default" {
  type = number
}
resource "aws_sqs_queue" "odd" {
  name                       = "odd"
  visibility_timeout_seconds = var.no_default
  delay_seconds              = max(1, 2)
  message_retention_seconds  = length(aws_sqs_queue.odd[*].arn) * 60
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.missing.arn
    maxReceiveCount     = 4
  })
}
resource "aws_sqs_queue" "nameless" {
  name_prefix = "tmp-"
}
resource "aws_sqs_queue" "computed" {
  name = "x-${random_id.suffix.hex}"
}
""",
    )
    (odd,) = queue_definitions(tmp_path)
    assert odd.name == "odd" and odd.attributes == {}
    reasons = dict(odd.skipped)
    assert "no default" in reasons["visibility_timeout_seconds"]
    assert "max()" in reasons["delay_seconds"]
    assert "only evaluated by Terraform" in reasons["message_retention_seconds"]
    assert "aws_sqs_queue.missing" in reasons["redrive_policy"]


def test_conditionals_operators_for_and_for_each_are_evaluated(tmp_path: Path) -> None:
    """Evaluated on python-hcl2's tree: a conditional, arithmetic and comparisons, `for`
    expressions, a `for_each` resource's instances (with `each`), and references into them."""
    write(
        tmp_path,
        """
variable "long" {
  default = true
}
variable "waits" {
  default = { calendar = 20, email = 0 }
}
locals {
  minutes = var.long ? 2 * 60 : 30 - 5
  names   = [for name, wait in var.waits : upper(name) if wait > 0]
  by_name = { for name in keys(var.waits) : name => "q-${name}" }
}
resource "aws_sqs_queue" "events" {
  for_each                   = var.waits
  name                       = local.by_name[each.key]
  receive_wait_time_seconds  = each.value
  visibility_timeout_seconds = local.minutes
  delay_seconds              = -1 + 1
}
resource "aws_sqs_queue" "dead" {
  name = "dead-$${literally}"
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.events["email"].arn
    maxReceiveCount     = length(var.waits) > 1 ? 3 : 1
  })
}
""",
    )
    folder = TerraformFolder(tmp_path)
    queues = {q.name: q for q in folder.queue_definitions()}
    assert set(queues) == {"q-calendar", "q-email", "dead-${literally}"}
    assert queues["q-calendar"].resource == 'events["calendar"]'
    assert queues["q-calendar"].attributes == {
        "ReceiveMessageWaitTimeSeconds": "20",
        "VisibilityTimeout": "120",
        "DelaySeconds": "0",
    }
    assert queues["q-email"].attributes["ReceiveMessageWaitTimeSeconds"] == "0"
    assert queues["dead-${literally}"].dead_letter_target == "q-email"
    assert (
        json.loads(queues["dead-${literally}"].attributes["RedrivePolicy"])["maxReceiveCount"] == 3
    )
    assert folder.evaluate("${local.by_name}") == {"calendar": "q-calendar", "email": "q-email"}
    with pytest.raises(Unresolved, match="upper"):
        folder.evaluate("${local.names}")
    assert folder.referenced_instance('${aws_sqs_queue.events["email"].arn}') == 'events["email"]'


def test_the_files_read_as_python_hcl2_serializes_them() -> None:
    """Expressions carry their tree, but compare equal to the text `hcl2.loads` gives."""
    import hcl2

    from labkit.paths import TERRAFORM_DIR
    from labkit.terraform.expressions import OPTIONS

    folder = TerraformFolder()
    for name, parsed in folder.files.items():
        text = (TERRAFORM_DIR / name).read_text()
        assert parsed == hcl2.loads(text, serialization_options=OPTIONS), name


def test_a_broken_file_names_itself(tmp_path: Path) -> None:
    write(tmp_path, 'resource "aws_sqs_queue" "q" {\n  name = \n', "broken.tf")
    with pytest.raises(TerraformError, match="broken.tf"):
        queue_definitions(tmp_path)
    with pytest.raises(TerraformError, match="no Terraform folder"):
        queue_definitions(tmp_path / "absent")


def test_strict_and_lenient_evaluation() -> None:
    folder = TerraformFolder()
    with pytest.raises(Unresolved, match="after `terraform apply`"):
        folder.evaluate("${aws_lb.app.dns_name}")
    assert folder.evaluate("http://${aws_lb.app.dns_name}/x", strict=False) == (
        "http://${aws_lb.app.dns_name}/x"
    )
    assert folder.evaluate("/${var.name}/app") == "/taskoverflow/app"
    assert folder.evaluate("${aws_sqs_queue.ical_queue.url}") == (
        "https://sqs.us-east-1.amazonaws.com/000000000000/ical"
    )


# --- ensure_queues on a real SQS endpoint -------------------------------------------------------


@pytest.fixture(params=["emulator", "moto"])
def sqs(request):
    from labkit.stack.clients import emulator_client

    if request.param == "emulator":
        pytest.importorskip(
            "labkit.emulator.server", reason="the lab's SQS emulator is not built yet"
        )
    endpoint = request.getfixturevalue(
        "sqs_endpoint" if request.param == "emulator" else "moto_endpoint"
    )
    # on the emulator, this module's own account: the clean-up deletes only this file's queues
    account = request.getfixturevalue("account") if request.param == "emulator" else None
    client = emulator_client(endpoint, account=account)
    yield client
    for url in client.list_queues().get("QueueUrls", []):
        client.delete_queue(QueueUrl=url)


def test_ensure_queues_creates_them_as_declared_and_is_idempotent(sqs) -> None:
    definitions = queue_definitions()
    urls = ensure_queues(sqs, definitions)
    assert set(urls) == {q.name for q in definitions}
    assert ensure_queues(sqs, definitions) == urls, "a second run changes nothing"
    dead_arn = sqs.get_queue_attributes(
        QueueUrl=urls["ical-dead-letter"], AttributeNames=["QueueArn"]
    )["Attributes"]["QueueArn"]
    for definition in definitions:
        got = sqs.get_queue_attributes(QueueUrl=urls[definition.name], AttributeNames=["All"])[
            "Attributes"
        ]
        for attribute, value in definition.attributes.items():
            if attribute == "RedrivePolicy":
                policy = json.loads(got[attribute])
                assert policy["deadLetterTargetArn"] == dead_arn
                assert int(policy["maxReceiveCount"]) == 5
            else:
                assert got[attribute] == value, (definition.name, attribute)


def test_ensure_queues_brings_a_drifted_queue_back(sqs) -> None:
    sqs.create_queue(QueueName="ical", Attributes={"VisibilityTimeout": "30"})
    definitions = [q for q in queue_definitions() if q.name in ("ical", "ical-dead-letter")]
    urls = ensure_queues(sqs, definitions, update=False)
    got = sqs.get_queue_attributes(QueueUrl=urls["ical"], AttributeNames=["VisibilityTimeout"])
    assert got["Attributes"]["VisibilityTimeout"] == "30", "update=False leaves it alone"
    urls = ensure_queues(sqs, definitions)
    got = sqs.get_queue_attributes(QueueUrl=urls["ical"], AttributeNames=["VisibilityTimeout"])
    assert got["Attributes"]["VisibilityTimeout"] == "300"


def test_queue_definition_names_its_dead_letter_target() -> None:
    plain = QueueDefinition("a", {})
    assert plain.dead_letter_target is None
    policy = json.dumps({"deadLetterTargetArn": DLQ_ARN, "maxReceiveCount": 5})
    assert QueueDefinition("b", {"RedrivePolicy": policy}).dead_letter_target == "ical-dead-letter"


def test_with_prefix_renames_queues_and_their_redrive_targets() -> None:
    copies = {q.name: q for q in with_prefix(queue_definitions(), "lesson07-")}
    assert set(copies) == {
        "lesson07-csse6400_prac",
        "lesson07-csse6400_prac.fifo",
        "lesson07-ical",
        "lesson07-ical-dead-letter",
        "lesson07-todo-events-calendar",
        "lesson07-todo-events-email",
        "lesson07-todo-events-audit",
    }
    assert copies["lesson07-ical"].dead_letter_target == "lesson07-ical-dead-letter"


def test_queue_drift_reports_each_declared_attribute(sqs) -> None:
    definitions = with_prefix(queue_definitions(), "drift-")
    before = queue_drift(sqs, definitions)
    assert before and all(row["live"] is None and not row["same"] for row in before)
    urls = ensure_queues(sqs, definitions)
    rows = queue_drift(sqs, definitions)
    assert all(row["same"] for row in rows), rows
    assert {(r["queue"], r["attribute"]) for r in rows} >= {
        ("drift-ical", "VisibilityTimeout"),
        ("drift-ical", "RedrivePolicy"),
        ("drift-csse6400_prac.fifo", "ContentBasedDeduplication"),
    }
    sqs.set_queue_attributes(QueueUrl=urls["drift-ical"], Attributes={"VisibilityTimeout": "30"})
    changed = [r for r in queue_drift(sqs, definitions) if not r["same"]]
    assert [(r["attribute"], r["terraform"], r["live"]) for r in changed] == [
        ("VisibilityTimeout", "300", "30")
    ]


def test_inventory_lists_every_block_by_file() -> None:
    rows = TerraformFolder().inventory()
    assert {
        "file": "sqs.tf",
        "kind": "resource",
        "type": "aws_sqs_queue",
        "name": "ical_queue",
    } in rows
    assert {"file": "ecs.tf", "kind": "data", "type": "aws_iam_role", "name": "lab"} in rows
    assert [r["file"] for r in rows if r["kind"] == "provider"] == ["providers.tf"] * 2
