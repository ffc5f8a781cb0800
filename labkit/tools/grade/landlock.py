"""Linux Landlock through ctypes: confine a process (and what it starts) to a few folders.

A sandboxed kernel may read the Python installation and labkit's code, read and write its own
working folder, and nothing else: not the submissions, not the results, not another student's
folder. From Landlock ABI 6 it also cannot signal processes outside its sandbox (the grader,
the lab stack, other students' kernels). `restrict` returns False where Landlock is missing.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterable

_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446  # x86_64 and aarch64 alike
_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1, 2, 4, 8
READ = EXECUTE | READ_FILE | READ_DIR
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1, 2


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def abi_version() -> int:
    """The kernel's Landlock ABI (0: none)."""
    try:
        version = _libc().syscall(_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    except (OSError, AttributeError):
        return 0
    return max(int(version), 0)


def _all_fs(abi: int) -> int:
    bits = 13  # EXECUTE .. MAKE_SYM
    if abi >= 2:
        bits += 1  # REFER
    if abi >= 3:
        bits += 1  # TRUNCATE
    if abi >= 5:
        bits += 1  # IOCTL_DEV
    return (1 << bits) - 1


def restrict(read_only: Iterable[str], read_write: Iterable[str]) -> bool:
    """Confine this process to ``read_only`` and ``read_write`` paths (missing ones skipped)."""
    abi = abi_version()
    if abi < 1:
        return False
    libc = _libc()
    every = _all_fs(abi)
    attr = _RulesetAttr(every, 0, (SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL) if abi >= 6 else 0)
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else 8
    ruleset = libc.syscall(_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if ruleset < 0:
        return False
    try:
        rules = [(path, READ) for path in read_only] + [(path, every) for path in read_write]
        for path, allowed in rules:
            try:
                fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                # Landlock refuses directory-only rights on a file: keep the file ones there.
                mask = allowed if os.path.isdir(path) else allowed & (EXECUTE | 2 | 4 | (1 << 14))
                rule = _PathBeneath(mask & every, fd)
                libc.syscall(_ADD_RULE, ruleset, _PATH_BENEATH, ctypes.byref(rule), 0)
            finally:
                os.close(fd)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return libc.syscall(_RESTRICT_SELF, ruleset, 0) == 0
    finally:
        os.close(ruleset)
