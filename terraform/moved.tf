# Where resources stood before they were written with for_each (one block per queue, container
# and subscription). A stack applied from the older files keeps these resources on its next
# `terraform apply` (messages, logs and running services stay) instead of replacing them.
# The security groups are left to be replaced: their inline rules became separate rule
# resources, which would collide with the old inline ones on a kept group.

moved {
  from = aws_sqs_queue.todo_events_calendar
  to   = aws_sqs_queue.todo_events["calendar"]
}

moved {
  from = aws_sns_topic_subscription.calendar
  to   = aws_sns_topic_subscription.todo_events["calendar"]
}

moved {
  from = aws_sqs_queue_policy.todo_events_calendar
  to   = aws_sqs_queue_policy.todo_events["calendar"]
}

moved {
  from = aws_sqs_queue.todo_events_email
  to   = aws_sqs_queue.todo_events["email"]
}

moved {
  from = aws_sns_topic_subscription.email
  to   = aws_sns_topic_subscription.todo_events["email"]
}

moved {
  from = aws_sqs_queue_policy.todo_events_email
  to   = aws_sqs_queue_policy.todo_events["email"]
}

moved {
  from = aws_sqs_queue.todo_events_audit
  to   = aws_sqs_queue.todo_events["audit"]
}

moved {
  from = aws_sns_topic_subscription.audit
  to   = aws_sns_topic_subscription.todo_events["audit"]
}

moved {
  from = aws_sqs_queue_policy.todo_events_audit
  to   = aws_sqs_queue_policy.todo_events["audit"]
}

moved {
  from = aws_cloudwatch_log_group.app
  to   = aws_cloudwatch_log_group.taskoverflow["app"]
}

moved {
  from = aws_ecs_task_definition.app
  to   = aws_ecs_task_definition.taskoverflow["app"]
}

moved {
  from = aws_ecs_service.app
  to   = aws_ecs_service.taskoverflow["app"]
}

moved {
  from = aws_cloudwatch_log_group.worker
  to   = aws_cloudwatch_log_group.taskoverflow["worker"]
}

moved {
  from = aws_ecs_task_definition.worker
  to   = aws_ecs_task_definition.taskoverflow["worker"]
}

moved {
  from = aws_ecs_service.worker
  to   = aws_ecs_service.taskoverflow["worker"]
}
