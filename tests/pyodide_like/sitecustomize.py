"""Make this interpreter as limited as Pyodide in xlwings Lite (tests/lite_run.py).

Put this folder first on PYTHONPATH and Python imports it at start-up. Then, as in the browser
sandbox: no process can be started (os.fork, subprocess, multiprocessing raise), no thread can be
started, no socket opened, and the packages Pyodide does not ship (python-calamine here, as if
its recipe were missing) or that the scripts must not load (typer, rich, click, ms-ovba) cannot
be imported. Every attempt to import a blocked package is recorded in ``ATTEMPTS``, so the test
can tell an import that was tried and fell back from one never made.
"""

import errno
import importlib.abc
import multiprocessing
import multiprocessing.pool
import multiprocessing.process
import os
import socket
import subprocess
import sys
import threading

BLOCKED = frozenset({"python_calamine", "typer", "rich", "click", "ms_ovba",
                     "ms_ovba_compression", "ms_ovba_crypto"})
ATTEMPTS: list[str] = []


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            ATTEMPTS.append(name)
            raise ModuleNotFoundError(f"No module named {name!r} (blocked: not in Pyodide)",
                                      name=name)
        return None


def _no_process(*args, **kwargs):
    raise OSError(errno.ENOSYS, "Function not implemented (no processes in Pyodide)")


def _no_pool(self, *args, **kwargs):
    self._state = multiprocessing.pool.CLOSE  # so that the half-made pool's __del__ is quiet
    _no_process()


def _no_thread(self, *args, **kwargs):
    raise RuntimeError("can't start new thread (no threads in Pyodide)")


class _NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        _no_process()


def _install() -> None:
    for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp", "system", "popen",
                 "execv", "execve", "spawnv", "spawnve"):
        if hasattr(os, name):
            setattr(os, name, _no_process)
    subprocess.Popen.__init__ = _no_process
    multiprocessing.process.BaseProcess.start = _no_process
    multiprocessing.pool.Pool.__init__ = _no_pool
    threading.Thread.start = _no_thread
    socket.socket = _NoSocket
    socket.create_connection = _no_process
    for name in list(sys.modules):  # nothing blocked may have been loaded before this ran
        if name.partition(".")[0] in BLOCKED:
            del sys.modules[name]
    sys.meta_path.insert(0, _Blocker())


_install()
