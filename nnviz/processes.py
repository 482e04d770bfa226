"""Child processes that die with their parent.

When the server is killed (``kill -9``, an out-of-memory killer, a crashed host agent) nothing runs
its clean-up: the training workers and the Keras process would live on, holding memory and a core
each, and keep the resource tracker alive with them. Each child therefore watches its parent and
exits as soon as the parent is gone.

How: a spawned child holds ``multiprocessing.parent_process().sentinel``, the read end of a pipe whose
write end only the parent holds; the kernel closes it when the parent dies, whatever the cause, so the
sentinel becomes ready at once. A daemon thread waits on it, and also checks ``os.getppid()`` every
``poll_seconds`` (the portable fallback, for a child started another way).

Not ``prctl(PR_SET_PDEATHSIG)``: on Linux it fires when the *thread* that started the child ends, and
in Streamlit workers are started from script-run threads that end after every rerun — it would kill
healthy workers.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import threading

_WATCHING = False


def die_with_parent(poll_seconds: float = 0.5) -> None:
    """In a child process: exit at once (``os._exit``) when the parent process ends.

    Call it first thing in a worker's initializer. Idempotent; a no-op in a process that has no
    parent process of its own (the server itself).
    """
    global _WATCHING
    parent = multiprocessing.parent_process()
    if _WATCHING or parent is None:
        return
    _WATCHING = True
    parent_pid = parent.pid
    sentinel = getattr(parent, "sentinel", None)

    def parent_gone() -> bool:
        return os.getppid() != parent_pid

    def watch():
        watched = sentinel
        pause = threading.Event()
        while True:
            if watched is not None:
                try:
                    if multiprocessing.connection.wait([watched], timeout=poll_seconds):
                        os._exit(1)
                except OSError:  # the sentinel is unusable here: fall back to polling the parent's pid
                    watched = None
            else:
                pause.wait(poll_seconds)
            if parent_gone():
                os._exit(1)

    if parent_gone():
        os._exit(1)
    threading.Thread(target=watch, name="nnviz-die-with-parent", daemon=True).start()
