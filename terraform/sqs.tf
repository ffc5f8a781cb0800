# The lab's queues. labkit reads this file (labkit.terraform.queue_definitions) to create the
# same queues on its local emulator, so local runs and AWS cannot drift apart.

# Section 3: the two queues the tutor demonstrates with `labkit queue`.
resource "aws_sqs_queue" "our_first_mailbox" {
  name = "csse6400_prac"
}

resource "aws_sqs_queue" "our_first_fifo" {
  name       = "csse6400_prac.fifo"
  fifo_queue = true
  # The queue tool sends no MessageDeduplicationId, so the body's SHA-256 is the id: re-sending
  # the same 100 bodies within five minutes delivers nothing new (hence --prepend "A-").
  content_based_deduplication = true
}

# Sections 6 and 7: Celery's broker queue for calendar jobs (CELERY_DEFAULT_QUEUE = "ical").
# Celery would create it by itself, with its own settings; declaring it here keeps the settings
# reviewed and lets `terraform destroy` remove it.
resource "aws_sqs_queue" "ical_queue" {
  name = "ical"

  # A received message is hidden from other workers for this long. Shorter than a job, and a
  # second worker starts the same calendar while the first is still busy.
  visibility_timeout_seconds = var.ical_visibility_timeout

  # A job whose message has been received this many times without being deleted (the worker
  # died mid-job, or the job outlived the visibility timeout) moves to the dead-letter queue
  # instead of coming back for ever. A task that raises is not one of them: Celery acknowledges
  # it (task_acks_on_failure_or_timeout) and it ends FAILURE.
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.ical_dead_letter.arn
    maxReceiveCount     = var.ical_max_receive_count
  })

  lifecycle {
    precondition {
      condition     = var.ical_visibility_timeout > var.ical_delay_seconds
      error_message = "ical_visibility_timeout must exceed ical_delay_seconds, or jobs are delivered twice."
    }
  }
}

# Where calendar jobs whose worker kept dying end up: inspect them, fix the cause, then redrive
# them from the console (SQS > ical-dead-letter > Start DLQ redrive). Kept for the maximum of 14 days.
resource "aws_sqs_queue" "ical_dead_letter" {
  name                      = "ical-dead-letter"
  message_retention_seconds = 1209600
}
