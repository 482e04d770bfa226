"""For the tests of children that must die with their parent: kill a parent, then wait for its children."""

from __future__ import annotations

import subprocess
import time

import psutil


def gone(proc: psutil.Process) -> bool:
    """True once ``proc`` has exited (a zombie waiting to be reaped counts as gone)."""
    try:
        return proc.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def kill_and_wait_for_children(parent: subprocess.Popen, children: list[psutil.Process], deadline_s: float):
    """``kill -9`` the parent, then wait up to ``deadline_s`` (a deadline for a loaded machine, not a timing
    assertion) for every child to be gone; assert that they are."""
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + deadline_s
    while not all(gone(c) for c in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(gone(c) for c in children), [c.cmdline() for c in children if not gone(c)]


def clean_up(parent: subprocess.Popen, children: list[psutil.Process]):
    """Whatever a test found: leave no process of it behind."""
    parent.kill()
    parent.wait()
    for c in children:
        if not gone(c):
            c.kill()
