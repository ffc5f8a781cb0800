# Lesson 08: events, not just queues. One topic, three subscriber queues: every event published
# to the topic is copied into each queue whose filter policy accepts it (fan-out). labkit reads
# this file (labkit.terraform.topics) to make the same topic and subscriptions on its emulator.

resource "aws_sns_topic" "todo_events" {
  name = "todo-events"
}

locals {
  # Each subscriber queue (todo-events-<key>) and the events its filter policy lets in.
  todo_event_subscribers = {
    # The calendar is rebuilt when a todo (and so maybe its deadline) appears, changes or goes.
    calendar = ["todo.created", "todo.updated", "todo.deleted"]
    # Email goes out when a todo is created or completed.
    email = ["todo.created", "todo.completed"]
    # The audit log keeps every event (no filter), in the notification envelope SNS wraps it in.
    audit = null
  }
}

resource "aws_sqs_queue" "todo_events" {
  for_each = local.todo_event_subscribers
  name     = "todo-events-${each.key}"
}

resource "aws_sns_topic_subscription" "todo_events" {
  for_each  = local.todo_event_subscribers
  topic_arn = aws_sns_topic.todo_events.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.todo_events[each.key].arn
  # A filtered queue gets the event itself; the audit log the whole envelope.
  raw_message_delivery = each.value != null
  filter_policy        = each.value == null ? null : jsonencode({ event = each.value })
}

# SNS delivers into a queue only when the queue's policy lets this topic send to it. Without
# these, `terraform apply` succeeds and the queues silently stay empty, on AWS and on the lab's
# emulator alike (labkit gives its queues the same statement).
resource "aws_sqs_queue_policy" "todo_events" {
  for_each  = local.todo_event_subscribers
  queue_url = aws_sqs_queue.todo_events[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.todo_events[each.key].arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.todo_events.arn } }
    }]
  })
}
