# One image for both services: the API and the Celery worker run the same code (the repository's
# Dockerfile) with different commands, as in the handout's docker-compose.yml.
#
# Built and pushed by Terraform itself with the kreuzwerker/docker provider rather than a
# null_resource running `docker build && docker push`: the image is then a resource with an id
# and a digest, it is rebuilt only when the sources change, the ECR login needs no shell script
# (works the same on Windows), and the task definitions below pin the pushed digest, so a new
# image rolls out on the next `terraform apply`. It needs a running Docker engine where you run
# Terraform.

resource "aws_ecr_repository" "taskoverflow" {
  name = var.name
  # Delete the pushed images too on `terraform destroy` (ECR refuses to delete a non-empty repo).
  force_delete = true
}

# A 12-hour ECR login token for the docker provider (see providers.tf).
data "aws_ecr_authorization_token" "ecr" {}

locals {
  repo_root = abspath("${path.module}/..")
  # The files the image is built from: a change to any of them rebuilds and re-pushes it.
  image_sources = sort(concat(
    ["Dockerfile", "requirements.txt", "pyproject.toml"],
    [for f in fileset(local.repo_root, "labkit/**") : f if !strcontains(f, "__pycache__")],
  ))
}

resource "docker_image" "taskoverflow" {
  name = "${aws_ecr_repository.taskoverflow.repository_url}:${var.image_tag}"

  build {
    context    = local.repo_root
    dockerfile = "Dockerfile"
    # Fargate runs x86_64 by default: build for it even on an Apple Silicon laptop.
    platform = "linux/amd64"
  }

  triggers = {
    sources = sha1(join("", [for f in local.image_sources : filesha1("${local.repo_root}/${f}")]))
  }
}

resource "docker_registry_image" "taskoverflow" {
  name          = docker_image.taskoverflow.name
  keep_remotely = true

  triggers = {
    image_id = docker_image.taskoverflow.image_id
  }
}
