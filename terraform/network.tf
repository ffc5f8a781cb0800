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

# One security group per kind of endpoint. A group refuses every connection its ingress rules
# below do not allow; each may call out (the tasks to ECR, SQS and CloudWatch).
locals {
  security_groups = {
    alb      = "HTTP from anywhere to the TaskOverflow load balancer"
    app      = "TaskOverflow API tasks: only the load balancer reaches them"
    worker   = "Celery worker tasks: outbound only (they pull jobs from SQS)"
    database = "PostgreSQL for TaskOverflow and the Celery result backend"
  }

  # Who may connect to which group, on which TCP port: from a network (from_cidr) or from the
  # members of another group (from_group). PostgreSQL takes the API and the worker (the worker
  # writes Celery results), plus any networks the student adds in db_client_cidrs.
  ingress = merge(
    {
      "HTTP from anywhere"         = { to = "alb", port = 80, from_cidr = "0.0.0.0/0", from_group = null }
      "API from the load balancer" = { to = "app", port = var.app_port, from_cidr = null, from_group = "alb" }
      "PostgreSQL from the API"    = { to = "database", port = 5432, from_cidr = null, from_group = "app" }
      "PostgreSQL from the worker" = { to = "database", port = 5432, from_cidr = null, from_group = "worker" }
    },
    {
      for cidr in var.db_client_cidrs : "PostgreSQL from ${cidr}" => {
        to = "database", port = 5432, from_cidr = cidr, from_group = null
      }
    },
  )
}

resource "aws_security_group" "taskoverflow" {
  for_each    = local.security_groups
  name        = "${var.name}-${each.key}"
  description = each.value
  vpc_id      = data.aws_vpc.default.id
}

resource "aws_vpc_security_group_ingress_rule" "taskoverflow" {
  for_each                     = local.ingress
  security_group_id            = aws_security_group.taskoverflow[each.value.to].id
  description                  = each.key
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
  cidr_ipv4                    = each.value.from_cidr
  referenced_security_group_id = try(aws_security_group.taskoverflow[each.value.from_group].id, null)
}

resource "aws_vpc_security_group_egress_rule" "anywhere" {
  for_each          = aws_security_group.taskoverflow
  security_group_id = each.value.id
  description       = "Anywhere"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}
