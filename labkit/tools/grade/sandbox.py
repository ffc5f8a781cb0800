"""The box one student's notebook runs in: its own folder, account and limits.

    python -m labkit.tools.grade.sandbox -- COMMAND...   # enter the box described by the env,
                                                         # then exec COMMAND

What the box holds (each where the platform has it; `describe` says which):
- a private working folder (HOME, TMPDIR, matplotlib/IPython caches inside it);
- its own emulator account (``LABKIT_ACCOUNT``) and its own copy of the stack's state file
  (``LABKIT_HOME``), so `labkit.up()` attaches to the one shared stack and `labkit.down()`
  forgets only the copy;
- rlimits: address space (memory), file size, open files, no core dumps;
- a pids cgroup (cgroup v1 or v2) capping processes and threads, also how every process the
  job started is found and killed afterwards (with the job's token in their environment as
  the fallback);
- Landlock: read the Python installation and labkit, write the working folder, nothing else;
  no signals to processes outside the box;
- as root: every capability dropped, so limits cannot be raised again.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import shutil
import signal
import sys
import sysconfig
from dataclasses import asdict, dataclass
from pathlib import Path

from labkit.tools.grade import landlock

TOKEN_ENV = "LABKIT_GRADE_JOB"
RUN_ENV = "LABKIT_GRADE_RUN"
LIMITS_ENV = "LABKIT_GRADE_LIMITS"
WORKDIR_ENV = "LABKIT_GRADE_WORKDIR"
_CGROUP_ROOTS = (Path("/sys/fs/cgroup/pids"), Path("/sys/fs/cgroup"))


@dataclass(frozen=True)
class Limits:
    """What one student x lesson may use."""

    notebook_seconds: float = 900.0
    cell_seconds: float = 180.0
    memory_mb: int = 3072
    processes: int = 512  # processes and threads (a kernel alone runs ~20 threads)
    file_mb: int = 256
    output_kb: int = 2048  # notebook output kept; the rest is counted, not stored
    exercise_seconds: float = 120.0  # one exercise in the grader's evaluation


def cgroup_dir(token: str) -> Path | None:
    """The pids cgroup of job ``token`` (created), or None where cgroups are not writable."""
    for root in _CGROUP_ROOTS:
        if not (root / "cgroup.procs").exists():
            continue
        if root.name != "pids" and "pids" not in _read(root / "cgroup.controllers"):
            continue
        path = root / "labkit-grade" / token
        try:
            path.mkdir(parents=True, exist_ok=True)
            if root.name != "pids":
                with contextlib.suppress(OSError):
                    (root / "labkit-grade" / "cgroup.subtree_control").write_text("+pids")
            return path if (path / "pids.max").exists() else None
        except OSError:
            continue
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def _drop_capabilities() -> None:
    """Root keeps its uid (the Python install may sit under /root) but loses every capability,
    now and across exec, so rlimits stay put and nothing outside the box can be touched."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP; EINVAL past the last cap
            break

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("eff", ctypes.c_uint32), ("prm", ctypes.c_uint32), ("inh", ctypes.c_uint32)]

    header, data = Header(0x20080522, 0), (Data * 2)()
    libc.capset(ctypes.byref(header), data)


def die_with_parent() -> None:
    """SIGKILL this process when the process that started it dies (a grader killed outright
    must not leave kernels running)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


def _code_paths() -> list[str]:
    """Where Python and labkit's code live (read-only inside the box)."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable)}
    paths |= {os.path.realpath(os.path.dirname(sys.executable))}
    paths |= {sysconfig.get_paths()[k] for k in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths |= {p for p in sys.path if p and os.path.isdir(p)}
    paths |= {p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
    # an editable install (`make`'s `pip install -e .`) imports labkit from the checkout, which
    # is on no path above
    paths.add(str(Path(__file__).resolve().parents[2]))
    return sorted(paths)


SYSTEM_READ = ("/usr", "/lib", "/lib64", "/lib32", "/bin", "/sbin", "/etc", "/proc", "/sys")
SYSTEM_WRITE = ("/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/shm", "/dev/pts")


def enter(workdir: Path, limits: Limits, token: str) -> list[str]:
    """Put this process into the box; returns what was applied (for the job's record)."""
    applied = []
    die_with_parent()
    with contextlib.suppress(OSError):
        os.setsid()
    group = cgroup_dir(token)
    if group is not None:
        (group / "pids.max").write_text(str(limits.processes))
        (group / "cgroup.procs").write_text(str(os.getpid()))
        applied.append(f"pids cgroup ({limits.processes})")
    memory = limits.memory_mb * 1024 * 1024
    for name, value in (
        (resource.RLIMIT_AS, memory),
        (resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, 1024),
        (resource.RLIMIT_NPROC, limits.processes),
    ):
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(name, (value, value))
    applied.append(f"memory {limits.memory_mb} MB")
    read_only = [*SYSTEM_READ, *_code_paths()]
    if landlock.restrict(read_only, [str(workdir), *SYSTEM_WRITE]):
        applied.append("landlock")
    _drop_capabilities()
    os.chdir(workdir)
    return applied


def box_env(workdir: Path, account: str, token: str, limits: Limits) -> dict[str, str]:
    """The environment a boxed process starts with."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key in ("PATH", "LANG", "LC_ALL", "PYTHONPATH", "JUPYTER_PATH", "TZ")
    }
    env.update(
        HOME=str(workdir),
        TMPDIR=str(workdir / "tmp"),
        MPLCONFIGDIR=str(workdir / ".matplotlib"),
        IPYTHONDIR=str(workdir / ".ipython"),
        JUPYTER_RUNTIME_DIR=str(workdir / ".jupyter"),
        LABKIT_HOME=str(workdir / ".labkit"),
        LABKIT_ACCOUNT=account,
        LABKIT_GRADE_CAPTURE=str(workdir / ".capture"),
        MPLBACKEND="agg",
        PYTHONDONTWRITEBYTECODE="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        LABKIT_ATTACH_ONLY="1",
    )
    env[RUN_ENV] = os.environ.get(RUN_ENV, "")
    env[TOKEN_ENV] = token
    env[WORKDIR_ENV] = str(workdir)
    env[LIMITS_ENV] = json.dumps(asdict(limits))
    return env


def prepare_workdir(workdir: Path, stack_state: Path | None) -> None:
    """The private folder: caches, capture folder and a copy of the stack's state file."""
    for sub in ("tmp", ".matplotlib", ".ipython", ".jupyter", ".labkit", ".capture"):
        (workdir / sub).mkdir(parents=True, exist_ok=True)
    workdir.chmod(0o700)
    if stack_state is not None and stack_state.is_file():
        shutil.copyfile(stack_state, workdir / ".labkit" / "stack.json")
    fonts = _matplotlib_cache()
    if fonts is not None:  # the font list takes seconds to rebuild in every fresh folder
        shutil.copyfile(fonts, workdir / ".matplotlib" / fonts.name)


def _matplotlib_cache() -> Path | None:
    try:
        import matplotlib

        found = sorted(Path(matplotlib.get_cachedir()).glob("fontlist-*.json"))
    except Exception:  # noqa: BLE001 - only a speed-up
        return None
    return found[-1] if found else None


def job_processes(token: str) -> list[int]:
    """Every live process of job ``token``: its cgroup's members, else by environment."""
    import psutil

    pids: set[int] = set()
    for root in _CGROUP_ROOTS:
        members = _read(root / "labkit-grade" / token / "cgroup.procs")
        pids |= {int(p) for p in members.split()}
    for proc in psutil.process_iter(["pid"]):
        with contextlib.suppress(psutil.Error, OSError):
            if proc.environ().get(TOKEN_ENV) == token:
                pids.add(proc.pid)
    pids.discard(os.getpid())
    return sorted(pids)


def leftovers(token: str, grace: float = 5.0) -> list[int]:
    """The processes of job ``token`` still alive ``grace`` seconds after its kernel was told
    to shut down (a kernel exiting normally is not counted)."""
    from labkit.waiting import eventually

    eventually(lambda: not job_processes(token), grace, poll=0.1)
    return job_processes(token)


def kill_job(token: str, within: float = 10.0) -> int:
    """SIGKILL every process of job ``token`` until none is left; how many there were."""
    from labkit.waiting import eventually

    killed: set[int] = set()

    def all_gone() -> bool:
        alive = job_processes(token)
        for pid in alive:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
            killed.add(pid)
        return not alive

    eventually(all_gone, within, poll=0.05)
    for root in _CGROUP_ROOTS:
        with contextlib.suppress(OSError):
            (root / "labkit-grade" / token).rmdir()
    return len(killed)


def main(argv: list[str]) -> int:
    """Enter the box from the environment, then exec the command after ``--``."""
    if "--" not in argv:
        print("usage: python -m labkit.tools.grade.sandbox -- COMMAND...", file=sys.stderr)
        return 2
    command = argv[argv.index("--") + 1 :]
    workdir = Path(os.environ[WORKDIR_ENV])
    limits = Limits(**json.loads(os.environ[LIMITS_ENV]))
    if "-f" in command:  # a kernel: its connection file must be readable inside the box
        at = command.index("-f") + 1
        copy = workdir / ".jupyter" / "connection.json"
        shutil.copyfile(command[at], copy)
        command[at] = str(copy)
    enter(workdir, limits, os.environ[TOKEN_ENV])
    os.execvp(command[0], command)
    return 127  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))


def kill_run(run_id: str) -> int:
    """SIGKILL every process any job of run ``run_id`` left (an interrupted `labkit grade`)."""
    import psutil

    tokens = set()
    for proc in psutil.process_iter(["pid"]):
        with contextlib.suppress(psutil.Error, OSError):
            env = proc.environ()
            if run_id and env.get(RUN_ENV) == run_id and env.get(TOKEN_ENV):
                tokens.add(env[TOKEN_ENV])
    return sum(kill_job(token) for token in tokens)


def describe() -> list[str]:
    """What the box can apply on this machine (for each row and the dashboard)."""
    found = ["private folder", "own emulator account", "rlimits"]
    if cgroup_dir("probe-" + str(os.getpid())) is not None:
        with contextlib.suppress(OSError):
            for root in _CGROUP_ROOTS:
                (root / "labkit-grade" / f"probe-{os.getpid()}").rmdir()
        found.append("pids cgroup")
    abi = landlock.abi_version()
    if abi:
        found.append(f"landlock v{abi}" + (" (signals scoped)" if abi >= 6 else ""))
    if os.geteuid() == 0:
        found.append("capabilities dropped")
    return found
