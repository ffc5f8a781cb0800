"""labkit: the companion package of the queue-lab notebooks.

Notebook cells call a handful of functions from here; everything else lives in the subpackages:
``labkit.taskoverflow`` (the Flask API and its Celery worker), ``labkit.emulator`` (the local SQS
and SNS emulator), ``labkit.stack`` (starting and finding services) and ``labkit.lessons`` (the helpers
lessons call: publishers, consumers, measures, plots, exercise checks).
"""

from __future__ import annotations

from typing import Any

__all__ = ["up", "down", "status", "lessons", "stack"]

_SUBPACKAGES = {"lessons", "stack", "emulator", "taskoverflow", "terraform", "tools"}


def __getattr__(name: str) -> Any:
    """Load subpackages on first use, so `import labkit` stays fast but `labkit.lessons` works."""
    if name in _SUBPACKAGES:
        import importlib

        return importlib.import_module(f"labkit.{name}")
    raise AttributeError(f"module 'labkit' has no attribute {name!r}")


def up(*args: Any, **kwargs: Any):  # noqa: ANN201 - re-exported from labkit.stack
    """Bring the lab stack up (or attach to the running one); see :func:`labkit.stack.up`."""
    from labkit.stack import up as _up

    return _up(*args, **kwargs)


def down(*args: Any, **kwargs: Any):  # noqa: ANN201
    """Stop the lab stack; see :func:`labkit.stack.down`."""
    from labkit.stack import down as _down

    return _down(*args, **kwargs)


def status(*args: Any, **kwargs: Any):  # noqa: ANN201
    """Health of every service of the stack; see :func:`labkit.stack.status`."""
    from labkit.stack import status as _status

    return _status(*args, **kwargs)
