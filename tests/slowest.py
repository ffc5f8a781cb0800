"""Print the slowest tests of one or more pytest JUnit XML files: `make test` ends with this.

`python -m tests.slowest N FILE...` merges the files (the unit tests' and the notebooks' runs)
and prints the N slowest test cases with their seconds, slowest first.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


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


def main(argv: list[str]) -> int:
    if len(argv) < 2 or not argv[0].isdigit():
        print("usage: python -m tests.slowest N JUNIT.xml...", file=sys.stderr)
        return 2
    rows = slowest([Path(a) for a in argv[1:]], int(argv[0]))
    print(f"slowest {len(rows)} tests of this run:")
    for seconds, name in rows:
        print(f"{seconds:8.2f}s  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
