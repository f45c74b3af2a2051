"""Stopping what the local tools start: the demo, the bench and the end-to-end tests rely on
every process they started being gone afterwards, children included, whether or not it leads
a process group of its own (the stack's processes do; the private Redis does not)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from middleware.local.processes import stop_process, wait_until

IGNORES_SIGTERM = ("import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
                   "print('ready', flush=True); time.sleep(60)")


@pytest.mark.parametrize("own_group", [True, False])
def test_a_started_process_is_stopped(own_group: bool) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=own_group)
    stop_process(proc, timeout=5)
    assert proc.poll() is not None


def test_a_process_that_ignores_sigterm_is_killed() -> None:
    proc = subprocess.Popen([sys.executable, "-c", IGNORES_SIGTERM], stdout=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    stop_process(proc, timeout=0.5)
    assert proc.poll() is not None
    proc.stdout.close()


def test_the_children_of_a_group_leader_go_with_it(tmp_path) -> None:
    pid_file = tmp_path / "child.pid"
    script = ("import subprocess, sys, time; "
              "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
              f"open({str(pid_file)!r}, 'w').write(str(c.pid)); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    child = int(wait_until(lambda: pid_file.exists() and pid_file.read_text(), 10, "the child's pid"))
    stop_process(proc, timeout=5)

    def child_gone() -> bool:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return True
        return _zombie(child)

    assert wait_until(child_gone, 10, "the child to exit")


def _zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] == "Z"
    except OSError:
        return True


def test_waiting_gives_the_value_or_names_what_did_not_happen() -> None:
    assert wait_until(lambda: 42, 1) == 42
    with pytest.raises(AssertionError, match="waiting for the moon"):
        wait_until(lambda: None, 0.1, "the moon", interval=0.01, error=AssertionError)


def test_a_second_interrupt_while_stopping_leaves_nothing_running(monkeypatch) -> None:
    """A supervisor that sends SIGTERM twice (or Ctrl-C pressed again) interrupts the stop of one
    process: the stack still stops every other one, then lets the interruption go on."""
    from middleware.local import stack as stack_module

    procs = {name: subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
             for name in ("simulator", "web", "worker")}
    stack = stack_module.Stack("redis://x", "http://sim", "http://web", {}, processes=dict(procs))
    real_stop = stack_module.stop_process

    def interrupted_once(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
        real_stop(proc, timeout)
        if proc is procs["worker"]:  # the first one stopped: the second signal arrives now
            raise KeyboardInterrupt

    monkeypatch.setattr(stack_module, "stop_process", interrupted_once)
    with pytest.raises(KeyboardInterrupt):
        stack.stop()
    assert all(proc.poll() is not None for proc in procs.values()), {n: p.poll() for n, p in procs.items()}
