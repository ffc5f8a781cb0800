"""Exercise checkers, one module per lesson (``lesson_NN.py``), imported by `check` on first use.

Each module registers its exercises with `labkit.lessons.checker.exercise` or
`labkit.lessons.checker.known_answer`; see docs/lessons.md.
"""
