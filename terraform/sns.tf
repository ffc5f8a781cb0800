# Lesson 08: events, not just queues. One topic, three subscriber queues: every event published
# to the topic is copied into each queue whose filter policy accepts it (fan-out). labkit reads
# this file (labkit.terraform.topics) to make the same topic and subscriptions on its emulator.

resource "aws_sns_topic" "todo_events" {
  name = "todo-events"
}

# The calendar is rebuilt when a todo (and so maybe its deadline) appears, changes or goes.
resource "aws_sqs_queue" "todo_events_calendar" {
  name = "todo-events-calendar"
}

# Email goes out when a todo is created or completed.
resource "aws_sqs_queue" "todo_events_email" {
  name = "todo-events-email"
}

# The audit log keeps every event, in the notification envelope SNS wraps it in.
resource "aws_sqs_queue" "todo_events_audit" {
  name = "todo-events-audit"
}

resource "aws_sns_topic_subscription" "calendar" {
  topic_arn            = aws_sns_topic.todo_events.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.todo_events_calendar.arn
  raw_message_delivery = true
  filter_policy = jsonencode({
    event = ["todo.created", "todo.updated", "todo.deleted"]
  })
}

resource "aws_sns_topic_subscription" "email" {
  topic_arn            = aws_sns_topic.todo_events.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.todo_events_email.arn
  raw_message_delivery = true
  filter_policy = jsonencode({
    event = ["todo.created", "todo.completed"]
  })
}

resource "aws_sns_topic_subscription" "audit" {
  topic_arn = aws_sns_topic.todo_events.arn
  protocol  = "sqs"
  endpoint  = aws_sqs_queue.todo_events_audit.arn
}

# SNS delivers into a queue only when the queue's policy lets this topic send to it. Without
# these, `terraform apply` succeeds and the queues silently stay empty on AWS (the emulator does
# not check policies).
resource "aws_sqs_queue_policy" "todo_events_calendar" {
  queue_url = aws_sqs_queue.todo_events_calendar.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.todo_events_calendar.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.todo_events.arn } }
    }]
  })
}

resource "aws_sqs_queue_policy" "todo_events_email" {
  queue_url = aws_sqs_queue.todo_events_email.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.todo_events_email.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.todo_events.arn } }
    }]
  })
}

resource "aws_sqs_queue_policy" "todo_events_audit" {
  queue_url = aws_sqs_queue.todo_events_audit.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "sns.amazonaws.com" }
      Action    = "sqs:SendMessage"
      Resource  = aws_sqs_queue.todo_events_audit.arn
      Condition = { ArnEquals = { "aws:SourceArn" = aws_sns_topic.todo_events.arn } }
    }]
  })
}
