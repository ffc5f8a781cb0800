"""The Celery settings a student's module sets, read from its source by name.

Celery falls back to CELERY_BROKER_URL / CELERY_RESULT_BACKEND from the environment when a
setting is missing, and silently keeps any attribute set on `app.conf`; in a lesson kernel that
exported both variables, `celery.conf.broker = ...` (not a setting) therefore seems to work. The
check looks at the names written, not at the effect.
"""

from __future__ import annotations

import ast
import difflib
import inspect
from typing import Any

#: Settings the handout's module must set itself (not leave to the environment).
REQUIRED = {
    "broker_url": 'celery.conf.broker_url = os.environ.get("CELERY_BROKER_URL")',
    "result_backend": 'celery.conf.result_backend = os.environ.get("CELERY_RESULT_BACKEND")',
}
#: Names students write for a setting, and the setting they mean.
MEANT = {"broker": "broker_url", "backend": "result_backend", "default_queue": "task_default_queue"}


def _conf_target(node: ast.AST) -> str | None:
    """The setting name of ``x.conf.NAME`` or ``x.conf["NAME"]``, else None."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
        return node.attr if node.value.attr == "conf" else None
    is_item = isinstance(node, ast.Subscript) and isinstance(node.value, ast.Attribute)
    if is_item and node.value.attr == "conf" and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    return None


def _call_names(node: ast.Call) -> set[str]:
    func = node.func
    name = getattr(func, "attr", None) or getattr(func, "id", None)
    keywords = {k.arg for k in node.keywords if k.arg}
    if name == "Celery":  # Celery(__name__, broker=..., backend=...)
        return {MEANT.get(k, k) for k in keywords & {"broker", "backend"}}
    if name in ("update", "setdefault") and _conf_target(ast.Attribute(func.value, "x")) == "x":
        found = set(keywords)
        for arg in node.args:
            if isinstance(arg, ast.Dict):
                found |= {str(k.value) for k in arg.keys if isinstance(k, ast.Constant)}
        return found
    return set()


def settings_named(module: Any) -> set[str] | None:
    """Every Celery setting name the module's source sets, or None when it cannot be read."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError, SyntaxError):
        return None
    named: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            named |= {name for t in targets if (name := _conf_target(t))}
        elif isinstance(node, ast.Call):
            if getattr(node.func, "attr", "") in ("config_from_object", "config_from_envvar"):
                return None  # settings from elsewhere: judged by their effect only
            named |= _call_names(node)
    return named


def settings_hint(module: Any) -> str | None:
    """A hint naming a setting that is not Celery's, or a required one left to the environment."""
    from celery.app.defaults import _TO_NEW_KEY, DEFAULTS

    named = settings_named(module)
    if named is None:
        return None
    named = {_TO_NEW_KEY.get(name, name) for name in named}
    for name in sorted(named - set(DEFAULTS)):
        meant = MEANT.get(name) or next(iter(difflib.get_close_matches(name, DEFAULTS, 1)), None)
        instead = f"; the setting is {meant}" if meant else ""
        return (
            f"celery.conf.{name} is not a Celery setting{instead}. Celery keeps it without a word "
            "and falls back to the CELERY_ variables of the environment, so it only seems to work "
            "in this kernel"
        )
    for name, line in REQUIRED.items():
        if name not in named:
            return (
                f"your module never sets {name}: Celery then falls back to the environment, "
                f"which only this kernel has; write {line}, as the handout does"
            )
    return None
