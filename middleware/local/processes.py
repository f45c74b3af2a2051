"""Stopping the processes the local tools start, and waiting for something to be true.

The demo, the end-to-end tests, the benchmarks and the chaos suite all start real processes
(Redis, the simulator, gunicorn, workers) and must stop every one of them, children included,
even on Ctrl-C or a failed assertion; they also all poll for a condition with a deadline. One
way each, so a fix to either (a process that ignores SIGTERM) reaches them all.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from typing import Any


def _signal(proc: subprocess.Popen[bytes], sig: int) -> None:
    """``sig`` to the process's group when it leads one (gunicorn's and RQ's children too), else
    to the process alone."""
    with contextlib.suppress(ProcessLookupError):
        if os.getpgid(proc.pid) == proc.pid:
            os.killpg(proc.pid, sig)
        else:
            os.kill(proc.pid, sig)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if the process lingers past ``timeout`` seconds; waits for it."""
    if proc.poll() is not None:
        return
    _signal(proc, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _signal(proc, signal.SIGKILL)
        proc.wait(timeout=5)


def wait_until(predicate: Callable[[], Any], timeout: float, what: str = "condition", interval: float = 0.05,
               error: type[Exception] = TimeoutError) -> Any:
    """Poll ``predicate`` until it returns something truthy and return that; raise ``error``
    naming ``what`` if it has not within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise error(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
