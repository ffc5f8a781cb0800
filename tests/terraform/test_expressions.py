"""labkit.terraform.expressions: HCL evaluated on python-hcl2's parse tree, and what is left
unresolved (with the reason) rather than guessed."""

from __future__ import annotations

from pathlib import Path

import pytest

from labkit.terraform import TerraformFolder, Unresolved

MAIN_TF = """
variable "zones" {
  default = ["a", "b"]
}
variable "cidrs" {
  default = []
}
locals {
  plain   = <<EOT
no templates here
EOT
  templated = <<EOT
region ${var.zones[0]}
EOT
  directive = "%{if true}yes%{endif}"
  first     = try(var.zones[5], var.zones[0])
  missing   = try(var.zones[5], local.nothing[1])
  checks    = [can(var.zones[1]), can(var.zones[9])]
  escaped   = "$${not.a.reference} and ${length(var.zones)}"
}
resource "aws_security_group" "db" {
  name = "db"
  dynamic "ingress" {
    for_each = var.zones
    iterator = zone
    content {
      description = "from ${zone.value} (${zone.key})"
    }
  }
  dynamic "egress" {
    for_each = var.cidrs
    content {
      cidr = egress.value
    }
  }
}
resource "aws_lb" "lb" {
  for_each = toset(var.zones)
  name     = "lb-${each.value}"
}
"""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> TerraformFolder:
    work: Path = tmp_path_factory.mktemp("tf-expressions")
    (work / "main.tf").write_text(MAIN_TF)
    return TerraformFolder(work)


def test_dynamic_blocks_become_the_blocks_they_generate(folder: TerraformFolder) -> None:
    (group,) = folder.resources("aws_security_group").values()
    assert [folder.evaluate(i["description"]) for i in group["ingress"]] == [
        "from a (0)",
        "from b (1)",
    ]
    assert "egress" not in group and "dynamic" not in group, "an empty for_each makes none"


def test_try_and_can_catch_only_what_terraform_would_fail_on(folder: TerraformFolder) -> None:
    assert folder.evaluate("${local.first}") == "a"
    assert folder.evaluate("${local.checks}") == [True, False]
    with pytest.raises(Unresolved, match="no local value named 'nothing'"):
        folder.evaluate("${local.missing}")


def test_heredocs_and_directives_python_hcl2_gives_no_tree_for(folder: TerraformFolder) -> None:
    assert folder.evaluate("${local.plain}") == "no templates here"
    with pytest.raises(Unresolved, match="inside a heredoc"):
        folder.evaluate("${local.templated}")
    with pytest.raises(Unresolved, match="template directive"):
        folder.evaluate("${local.directive}")


def test_an_escaped_interpolation_is_text(folder: TerraformFolder) -> None:
    assert folder.evaluate("${local.escaped}") == "${not.a.reference} and 2"


def test_lenient_evaluation_keeps_the_unknown_part_as_text(folder: TerraformFolder) -> None:
    lbs = folder.resources("aws_lb")
    assert set(lbs) == {'lb["a"]', 'lb["b"]'}
    assert folder.evaluate(lbs['lb["b"]']["name"]) == "lb-b"
    text = '${aws_lb.lb["a"].dns_name}/x ${aws_lb.lb["a"].name}'
    assert folder.evaluate(text, strict=False) == '${aws_lb.lb["a"].dns_name}/x lb-a'
    with pytest.raises(Unresolved, match="after `terraform apply`"):
        folder.evaluate(text)
