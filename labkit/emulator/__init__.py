"""labkit's own SQS-compatible server: AWS's standard/FIFO semantics, on a laptop.

Start it with `labkit sqs-server` or `labkit.emulator.server.start()`. Importing this package is
cheap (standard library only): the stack launches it as a child process.
"""
