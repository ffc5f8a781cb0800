# ECS on Fargate: one cluster, two services built from the same image. The API sits behind the
# load balancer; the worker has no ports and pulls calendar jobs from the ical queue.
#
# Both task definitions use the Learner Lab's LabRole twice: as the execution role (ECS pulls
# the image from ECR and writes logs with it) and as the task role (the code inside the
# container gets credentials from it, which is how Celery's `sqs://` broker reaches SQS
# without a credentials file). Students cannot create IAM roles in the Learner Lab.

data "aws_iam_role" "lab" {
  name = "LabRole"
}

resource "aws_ecs_cluster" "taskoverflow" {
  name = var.name
}

locals {
  # Pinning the pushed digest (not just the tag) makes a rebuilt image a new task definition,
  # so `terraform apply` rolls it out.
  image = "${aws_ecr_repository.taskoverflow.repository_url}@${docker_registry_image.taskoverflow.sha256_digest}"

  # urlencode(): a password with : # ? % / or @ would otherwise break the URL.
  database_url = "${urlencode(var.db_username)}:${urlencode(var.db_password)}@${aws_db_instance.database.address}:${aws_db_instance.database.port}/${var.db_name}"

  # What the API and the worker both need to find the same broker, queue and result store
  # (the handout's docker-compose.yml environment, pointed at AWS). Celery's `sqs://` takes
  # credentials from the task role; psycopg (version 3) is the PostgreSQL driver in the image.
  environment = [
    { name = "SQLALCHEMY_DATABASE_URI", value = "postgresql+psycopg://${local.database_url}" },
    { name = "CELERY_BROKER_URL", value = "sqs://" },
    { name = "CELERY_RESULT_BACKEND", value = "db+postgresql+psycopg://${local.database_url}" },
    { name = "CELERY_DEFAULT_QUEUE", value = aws_sqs_queue.ical_queue.name },
    { name = "AWS_DEFAULT_REGION", value = var.region },
    { name = "ICAL_DELAY_SECONDS", value = tostring(var.ical_delay_seconds) },
  ]

  # What differs between the API and the worker: the command, the ports the container listens
  # on (the worker takes its jobs from SQS: nobody connects to it), how many tasks run.
  containers = {
    app = {
      command = ["labkit", "api", "--host", "0.0.0.0", "--port", tostring(var.app_port)]
      ports   = [var.app_port]
      count   = var.app_count
    }
    worker = {
      command = ["labkit", "worker", "--loglevel", "info", "--concurrency", tostring(var.worker_concurrency)]
      ports   = []
      count   = var.worker_count
    }
  }
}

resource "aws_cloudwatch_log_group" "taskoverflow" {
  for_each          = local.containers
  name              = "/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
}

# One task definition per container above: taskoverflow["app"] and taskoverflow["worker"].
resource "aws_ecs_task_definition" "taskoverflow" {
  for_each                 = local.containers
  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory
  execution_role_arn       = data.aws_iam_role.lab.arn
  task_role_arn            = data.aws_iam_role.lab.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([
    {
      name        = each.key
      image       = local.image
      essential   = true
      command     = each.value.command
      environment = local.environment
      portMappings = [
        for port in each.value.ports : { containerPort = port, hostPort = port, protocol = "tcp" }
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          "awslogs-group"         = aws_cloudwatch_log_group.taskoverflow[each.key].name
          "awslogs-region"        = var.region
          "awslogs-stream-prefix" = each.key
        }
      }
      # SIGTERM, then SIGKILL after stopTimeout: Fargate's default 30 s would kill a 50 s
      # calendar job (acks_late) on every deploy; 120 s is Fargate's maximum
      stopTimeout = 120
    }
  ])
}

# One service per container: the API's tasks behind the load balancer, the worker's scaled with
# worker_count (every worker task competes for jobs on the same queue).
resource "aws_ecs_service" "taskoverflow" {
  for_each        = local.containers
  name            = "${var.name}-${each.key}"
  cluster         = aws_ecs_cluster.taskoverflow.id
  task_definition = aws_ecs_task_definition.taskoverflow[each.key].arn
  desired_count   = each.value.count
  launch_type     = "FARGATE"

  network_configuration {
    subnets          = data.aws_subnets.default.ids
    security_groups  = [aws_security_group.taskoverflow[each.key].id]
    assign_public_ip = true # to reach ECR and SQS without a NAT gateway
  }

  dynamic "load_balancer" {
    for_each = each.value.ports
    content {
      target_group_arn = aws_lb_target_group.app.arn
      container_name   = each.key
      container_port   = load_balancer.value
    }
  }

  # Time for the API to start and create its tables before health checks count.
  health_check_grace_period_seconds = length(each.value.ports) > 0 ? 60 : null

  depends_on = [aws_lb_listener.http]
}
