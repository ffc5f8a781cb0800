# `terraform output` after apply; `terraform output -raw api_url` for scripts.

output "api_url" {
  description = "The TaskOverflow API behind the load balancer (try $api_url/health)."
  value       = "http://${aws_lb.app.dns_name}/api/v1"
}

output "ui_url" {
  description = "The web page served by the API."
  value       = "http://${aws_lb.app.dns_name}/"
}

locals {
  # Every queue of this folder: the handout's (sqs.tf) and lesson 08's subscribers (sns.tf).
  queues = concat(
    [
      aws_sqs_queue.our_first_mailbox,
      aws_sqs_queue.our_first_fifo,
      aws_sqs_queue.ical_queue,
      aws_sqs_queue.ical_dead_letter,
    ],
    values(aws_sqs_queue.todo_events),
  )
}

output "queue_urls" {
  description = "URL of each queue, by name."
  value       = { for q in local.queues : q.name => q.url }
}

output "queue_arns" {
  description = "ARN of each queue, by name (the handout's mailbox is csse6400_prac, its FIFO queue csse6400_prac.fifo)."
  value       = { for q in local.queues : q.name => q.arn }
}

output "image" {
  description = "The pushed app/worker image, pinned by digest."
  value       = local.image
}

output "database_address" {
  description = "Host name of the PostgreSQL instance."
  value       = aws_db_instance.database.address
}

output "ecs_cluster" {
  description = "Cluster name, for `aws ecs update-service --cluster ...`."
  value       = aws_ecs_cluster.taskoverflow.name
}
