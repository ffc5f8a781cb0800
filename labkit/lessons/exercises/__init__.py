"""Exercise checkers, one module per lesson (``lesson_NN.py``), imported by `check` on first use.

Each module registers its exercises with `labkit.lessons.check.exercise` or
`labkit.lessons.check.known_answer`; see docs/lessons.md.
"""
