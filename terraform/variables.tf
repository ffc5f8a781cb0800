# What a student may want to change. Every variable has a default, so `terraform apply` works
# as it is in the Learner Lab; override with -var name=value or a terraform.tfvars file.

variable "region" {
  description = "AWS region; the Learner Lab allows us-east-1 (and us-west-2)."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix for the names of the cluster, services, load balancer and log groups."
  type        = string
  default     = "taskoverflow"
}

variable "availability_zones" {
  description = "Default-VPC subnets to use. Not every us-east-1 zone offers Fargate and db.t3.micro, so the default keeps to three that do."
  type        = list(string)
  default     = ["us-east-1a", "us-east-1b", "us-east-1c"]
}

# --- Queues ---------------------------------------------------------------------------------

variable "ical_delay_seconds" {
  description = "Seconds each calendar job sleeps to stand for slow work (the handout's 50; 0 for instant). Passed to the worker as ICAL_DELAY_SECONDS."
  type        = number
  default     = 50
}

variable "ical_visibility_timeout" {
  description = "Seconds a received ical message stays hidden from other workers. Must exceed the job time, or a second worker picks up a job still running; a worker also holds prefetched messages unacknowledged, so leave room for a few jobs."
  type        = number
  default     = 300

  validation {
    condition     = var.ical_visibility_timeout >= 0 && var.ical_visibility_timeout <= 43200
    error_message = "SQS accepts a visibility timeout from 0 to 43200 seconds (12 hours)."
  }
}

variable "ical_max_receive_count" {
  description = "Receives after which an ical message that keeps failing moves to the dead-letter queue."
  type        = number
  default     = 5
}

# --- Containers -----------------------------------------------------------------------------

variable "image_tag" {
  description = "Tag of the app/worker image pushed to ECR."
  type        = string
  default     = "latest"
}

variable "app_port" {
  description = "Port the TaskOverflow API listens on inside its container."
  type        = number
  default     = 6400
}

variable "app_count" {
  description = "Number of API tasks behind the load balancer."
  type        = number
  default     = 1
}

variable "worker_count" {
  description = "Number of Celery worker tasks: raise it to see the queue drain faster."
  type        = number
  default     = 1
}

variable "worker_concurrency" {
  description = "Celery processes inside each worker task."
  type        = number
  default     = 2
}

variable "task_cpu" {
  description = "Fargate CPU units per task (1024 = one vCPU)."
  type        = number
  default     = 512
}

variable "task_memory" {
  description = "Fargate memory per task, MiB (512 CPU units allow 1024 to 4096)."
  type        = number
  default     = 1024
}

variable "log_retention_days" {
  description = "How long CloudWatch keeps container logs."
  type        = number
  default     = 7
}

# --- Database -------------------------------------------------------------------------------

variable "db_name" {
  description = "PostgreSQL database holding the todos and the Celery results."
  type        = string
  default     = "todo"
}

variable "db_username" {
  description = "Master user of the RDS instance."
  type        = string
  default     = "administrator"
}

variable "db_password" {
  description = "Master password of the RDS instance (the course default; change it for anything you keep)."
  type        = string
  default     = "verySecretPassword"
  sensitive   = true
}

variable "db_client_cidrs" {
  description = "Extra networks allowed to reach PostgreSQL on 5432, e.g. [\"203.0.113.7/32\"] to run psql or a local worker from your laptop. The app and worker are always allowed."
  type        = list(string)
  default     = []
}
