# `terraform output` after apply; `terraform output -raw api_url` for scripts.

output "api_url" {
  description = "The TaskOverflow API behind the load balancer (try $api_url/health)."
  value       = "http://${aws_lb.app.dns_name}/api/v1"
}

output "ui_url" {
  description = "The web page served by the API."
  value       = "http://${aws_lb.app.dns_name}/"
}

output "queue_urls" {
  description = "URL of each queue, by name."
  value = {
    for q in [
      aws_sqs_queue.our_first_mailbox,
      aws_sqs_queue.our_first_fifo,
      aws_sqs_queue.ical_queue,
      aws_sqs_queue.ical_dead_letter,
    ] : q.name => q.url
  }
}

output "mailbox" {
  description = "ARN of the standard demo queue (as in the handout)."
  value       = aws_sqs_queue.our_first_mailbox.arn
}

output "fifo" {
  description = "ARN of the FIFO demo queue (as in the handout)."
  value       = aws_sqs_queue.our_first_fifo.arn
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
