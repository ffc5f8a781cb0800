"""The experiment engine: publishers, consumers and runs -> DataFrames; queues put in a known state."""
