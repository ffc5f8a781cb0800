"""Print the slowest tests of one or more pytest JUnit XML files: `make test` ends with this.

`python -m tests.slowest N FILE...` merges the files (the unit tests' and the notebooks' runs)
and prints the N slowest test cases with their seconds, slowest first.

`python -m tests.slowest --save build/test-results/tests.xml` writes each test file's seconds to
tests/durations.json, which tests/conftest.py uses to hand the slowest files out first under
pytest-xdist (longest first: the run does not end waiting on one long file started last).
Refresh it when a file's cost changes much; a file it does not name runs after the named ones.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DURATIONS = Path(__file__).resolve().parent / "durations.json"


def slowest(files: list[Path], count: int) -> list[tuple[float, str]]:
    """The ``count`` slowest (seconds, test id) pairs across the JUnit XML ``files``."""
    cases = []
    for path in files:
        if not path.exists():
            continue
        for case in ET.parse(path).iter("testcase"):
            name = f"{case.get('classname', '')}::{case.get('name', '')}".lstrip(":")
            cases.append((float(case.get("time") or 0.0), name))
    return sorted(cases, reverse=True)[:count]


def file_of(classname: str) -> str | None:
    """The test file a JUnit classname (``tests.stack.test_stack[.Class]``) comes from."""
    parts = classname.split(".")
    for end in range(len(parts), 0, -1):
        path = Path(*parts[:end]).with_suffix(".py")
        if (REPO / path).is_file():
            return path.as_posix()
    return None


def file_seconds(files: list[Path]) -> dict[str, float]:
    """Seconds per test file across the JUnit XML ``files``, slowest first."""
    totals: dict[str, float] = {}
    for path in files:
        for case in ET.parse(path).iter("testcase"):
            name = file_of(case.get("classname", ""))
            if name is not None:
                totals[name] = totals.get(name, 0.0) + float(case.get("time") or 0.0)
    return {k: round(v, 1) for k, v in sorted(totals.items(), key=lambda kv: -kv[1])}


def main(argv: list[str]) -> int:
    if argv[:1] == ["--save"] and len(argv) > 1:
        DURATIONS.write_text(json.dumps(file_seconds([Path(a) for a in argv[1:]]), indent=1) + "\n")
        print(f"wrote {DURATIONS.relative_to(REPO)}")
        return 0
    if len(argv) < 2 or not argv[0].isdigit():
        print(
            "usage: python -m tests.slowest N JUNIT.xml... | --save JUNIT.xml...", file=sys.stderr
        )
        return 2
    rows = slowest([Path(a) for a in argv[1:]], int(argv[0]))
    print(f"slowest {len(rows)} tests of this run:")
    for seconds, name in rows:
        print(f"{seconds:8.2f}s  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
