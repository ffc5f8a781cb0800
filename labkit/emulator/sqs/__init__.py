"""The SQS half of the emulator: queues, messages and their rules, and AWS's answers."""
