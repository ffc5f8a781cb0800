# The Learner Lab's default VPC and its public subnets, as the course uses them. Tasks get public
# IPs so they can pull from ECR and reach SQS without a NAT gateway (which costs by the hour).

data "aws_vpc" "default" {
  default = true
}

# The default subnet of each zone in var.region (the provider's region), or of the zones named
# in var.availability_zones.
data "aws_subnets" "default" {
  filter {
    name   = "vpc-id"
    values = [data.aws_vpc.default.id]
  }

  filter {
    name   = "default-for-az"
    values = ["true"]
  }

  dynamic "filter" {
    for_each = length(var.availability_zones) > 0 ? [var.availability_zones] : []
    content {
      name   = "availability-zone"
      values = filter.value
    }
  }

  lifecycle {
    postcondition {
      condition     = length(self.ids) >= 2
      error_message = "The load balancer needs default-VPC subnets in two zones or more of ${var.region}; found ${length(self.ids)}. Leave availability_zones empty, or name zones of ${var.region}."
    }
  }
}

# Internet -> load balancer on port 80.
resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "HTTP from anywhere to the TaskOverflow load balancer"
  vpc_id      = data.aws_vpc.default.id

  ingress {
    description = "HTTP"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# Load balancer -> API tasks on the app port; the tasks may call out (ECR, SQS, CloudWatch).
resource "aws_security_group" "app" {
  name        = "${var.name}-app"
  description = "TaskOverflow API tasks: only the load balancer reaches them"
  vpc_id      = data.aws_vpc.default.id

  ingress {
    description     = "API from the load balancer"
    from_port       = var.app_port
    to_port         = var.app_port
    protocol        = "tcp"
    security_groups = [aws_security_group.alb.id]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# Worker tasks accept nothing: they pull jobs from SQS.
resource "aws_security_group" "worker" {
  name        = "${var.name}-worker"
  description = "Celery worker tasks: outbound only"
  vpc_id      = data.aws_vpc.default.id

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

# PostgreSQL: the API and the worker (the worker writes Celery results), plus any networks the
# student adds in db_client_cidrs.
resource "aws_security_group" "database" {
  name        = "${var.name}-database"
  description = "PostgreSQL for TaskOverflow and the Celery result backend"
  vpc_id      = data.aws_vpc.default.id

  ingress {
    description     = "PostgreSQL from the API and the worker"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.app.id, aws_security_group.worker.id]
  }

  dynamic "ingress" {
    for_each = length(var.db_client_cidrs) > 0 ? [1] : []
    content {
      description = "PostgreSQL from the networks in db_client_cidrs"
      from_port   = 5432
      to_port     = 5432
      protocol    = "tcp"
      cidr_blocks = var.db_client_cidrs
    }
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
