# The one place this folder configures providers. Terraform merges every *.tf file in a folder
# into one module, so a second `provider "aws"` block in another file is an error ("duplicate
# provider configuration"); keep provider blocks here and only here.

terraform {
  # 1.9: variables.tf validates task_memory against task_cpu (a validation naming another variable).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
    docker = {
      source  = "kreuzwerker/docker"
      version = "~> 3.0"
    }
  }
}

# Learner Lab credentials: copy the AWS Details > AWS CLI block into ./credentials (git-ignored).
# They expire with the lab session (about four hours): refresh the file after each Start Lab.
provider "aws" {
  region                   = var.region
  shared_credentials_files = ["./credentials"]
}

# Builds the app/worker image on this machine and pushes it to ECR (see ecr.tf). The password
# is a short-lived ECR token that the AWS provider fetches; nothing is stored in this folder.
provider "docker" {
  registry_auth {
    address  = data.aws_ecr_authorization_token.ecr.proxy_endpoint
    username = data.aws_ecr_authorization_token.ecr.user_name
    password = data.aws_ecr_authorization_token.ecr.password
  }
}
