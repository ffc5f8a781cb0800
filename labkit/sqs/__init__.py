"""labkit/sqs"""
