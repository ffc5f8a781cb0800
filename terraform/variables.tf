# What a student may want to change. Every variable has a default, so `terraform apply` works
# as it is in the Learner Lab; override with -var name=value or a terraform.tfvars file.

variable "region" {
  description = "AWS region; the Learner Lab allows us-east-1 (and us-west-2). The subnets, zones and endpoints all follow it."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix for the names of the cluster, services, load balancer and log groups."
  type        = string
  default     = "taskoverflow"
}

variable "availability_zones" {
  description = "Zones whose default-VPC subnets the load balancer and the tasks use. Empty (the default): every zone of the region's default VPC, so changing `region` alone is enough. The load balancer needs subnets in two zones or more. (RDS places the database through the default DB subnet group, which this list does not change.)"
  type        = list(string)
  default     = []
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
  description = "Receives after which an ical message never deleted (its worker died, or it outlived the visibility timeout) moves to the dead-letter queue."
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

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.task_cpu)
    error_message = "Fargate takes task_cpu = 256, 512, 1024, 2048, 4096, 8192 or 16384."
  }
}

variable "task_memory" {
  description = "Fargate memory per task, MiB; each task_cpu allows only some values (see the validation)."
  type        = number
  default     = 1024

  # Fargate's CPU/memory table for Linux tasks: the memory values each CPU size accepts.
  validation {
    condition = contains(lookup({
      "256"   = [512, 1024, 2048]
      "512"   = range(1024, 4097, 1024)
      "1024"  = range(2048, 8193, 1024)
      "2048"  = range(4096, 16385, 1024)
      "4096"  = range(8192, 30721, 1024)
      "8192"  = range(16384, 61441, 4096)
      "16384" = range(32768, 122881, 8192)
    }, tostring(var.task_cpu), []), var.task_memory)
    error_message = "Fargate has no such task size: task_cpu 256 takes task_memory 512, 1024 or 2048; 512 takes 1024-4096; 1024 takes 2048-8192; 2048 takes 4096-16384; 4096 takes 8192-30720 (steps of 1024); 8192 takes 16384-61440 (steps of 4096); 16384 takes 32768-122880 (steps of 8192)."
  }
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
  description = "Master password of the RDS instance (the course default; change it for anything you keep). Set it with TF_VAR_db_password or terraform.tfvars (git- and docker-ignored), never in a committed file."
  type        = string
  default     = "verySecretPassword"
  sensitive   = true

  # RDS's rule for master passwords. Other characters (: # ? % ...) are fine: the database
  # URLs in ecs.tf urlencode() it.
  validation {
    condition     = length(var.db_password) >= 8 && length(var.db_password) <= 128 && can(regex("^[!-~]+$", var.db_password)) && !can(regex("[/'\"@]", var.db_password))
    error_message = "RDS takes a master password of 8 to 128 printable ASCII characters without /, ', \", @ or spaces."
  }
}

variable "db_client_cidrs" {
  description = "Extra networks allowed to reach PostgreSQL on 5432, e.g. [\"203.0.113.7/32\"] to run psql or a local worker from your laptop. The app and worker are always allowed."
  type        = list(string)
  default     = []
}
