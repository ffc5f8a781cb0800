"""Analysis of runs: measures (metrics) and named plot helpers."""
