"""Command-line tools beside the lessons: `labkit run` (papermill batch) and `labkit queue`."""
