"""Grading: the checker and the exercises behind the student-code cells (points, hints)."""
