"""Exercise checkers, one module per lesson (``lesson_NN.py``), imported by `check` on first use.

Each module registers its exercises with `labkit.lessons.grading.checker.exercise` or
`labkit.lessons.grading.checker.known_answer`; see docs/lessons.md.
"""
