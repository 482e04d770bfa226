"""Background work: the worker processes that train away from the server, in one place.

Two users share it: ``nnviz.serving.runner`` (every session's live run, in a pool of one worker per core) and
``nnviz.serving.jobs`` (the one-at-a-time Keras / MNIST queue, a pool of one worker). What they share:

- ``worker_context()``: a spawn context whose children do not re-run the page script (``WorkerProcess``);
- ``WorkerPool``: a process pool of niced workers (the nice level is a parameter) that rebuilds itself
  after a worker dies (``kill -9``, out of memory); every worker calls ``die_with_parent()`` first;
- ``InlineExecutor``: the same interface without processes (``NNVIZ_WORKERS=0``, tests, a host without
  working multiprocessing), running each task in the calling thread or in a thread of its own.

Children die with their parent. When the server is killed (``kill -9``, an out-of-memory killer, a crashed
host agent) nothing runs its clean-up: the training workers and the Keras process would live on, holding
memory and a core each, and keep the resource tracker alive with them. Each child therefore watches its
parent and exits as soon as the parent is gone.

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
import sys
import threading
import types
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

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


# ----------------------------------------------------------------------------- spawning workers

_MAIN_LOCK = threading.Lock()
_BLANK_MAIN = types.ModuleType("__main__")


class WorkerProcess(multiprocessing.context.SpawnProcess):
    """A spawned worker that does not re-run the parent's ``__main__``.

    A spawned child normally imports the parent's main module first. Inside Streamlit,
    ``sys.modules["__main__"]`` is the page script being run, so every worker would run
    a page (slowly, and outside Streamlit). While the child is launched, ``__main__`` is
    a blank module, so the child starts with only what the task needs.
    """

    def start(self):
        with _MAIN_LOCK:
            main = sys.modules.get("__main__")
            sys.modules["__main__"] = _BLANK_MAIN
            try:
                super().start()
            finally:
                if sys.modules.get("__main__") is _BLANK_MAIN:
                    sys.modules["__main__"] = main


class WorkerContext(multiprocessing.context.SpawnContext):
    Process = WorkerProcess


def worker_context() -> WorkerContext:
    """A spawn context whose children start without re-running the page script (see ``WorkerProcess``)."""
    return WorkerContext()


def worker_nice(environ=os.environ) -> int:
    """How far the training workers step back behind the server: ``NNVIZ_WORKER_NICE`` (0–19), by default 19,
    the lowest priority — the server's threads hand the interpreter lock around and must find a core at once, and
    training still gets every core the server leaves idle. On a machine shared with other busy programs a niced
    worker gets almost nothing, so the host may set less (docs/decisions/training-workers.md)."""
    value = environ.get("NNVIZ_WORKER_NICE", "").strip()
    if not value:
        return 19
    if not (value.isdigit() and 0 <= int(value) <= 19):
        raise ValueError(f"NNVIZ_WORKER_NICE must be a whole number from 0 to 19, got {value!r}")
    return int(value)


WORKER_NICE = worker_nice()


def start_worker(nice: int, setup: Callable[[], None] | None = None):
    """Every worker's initializer: die with the parent, step back by ``nice``, then the user's ``setup``."""
    die_with_parent()  # a killed server takes its workers with it
    try:
        os.nice(nice)  # pages first, training second
    except OSError:
        pass
    if setup is not None:
        setup()


def worker_pid() -> int:
    """A task that only says which process ran it (starting workers, tests)."""
    return os.getpid()


# ----------------------------------------------------------------------------- executors


class WorkerPool:
    """``workers`` niced worker processes that take tasks first in, first out, and recreate themselves
    when a worker dies (the tasks it held fail with ``BrokenProcessPool``; the next ``submit`` starts
    fresh workers).

    ``setup`` runs in each worker after it starts (a module-level function, so that it can be pickled).
    ``chains``: tasks run elsewhere, so a caller may queue the next one from a finished one's callback.
    """

    chains = True

    def __init__(self, workers: int, nice: int, setup: Callable[[], None] | None = None):
        self.workers = workers
        self.nice = nice
        self.setup = setup
        self._lock = threading.Lock()
        self._pool = self._new_pool()
        self._warming: list[Future] = []

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=worker_context(),
                                   initializer=start_worker, initargs=(self.nice, self.setup))

    def submit(self, fn, *args) -> Future:
        with self._lock:
            try:
                return self._pool.submit(fn, *args)
            except (BrokenProcessPool, RuntimeError):
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
                return self._pool.submit(fn, *args)

    def warm_up(self, wait: bool = True):
        """Start the workers now, so that the first task does not wait for them."""
        futures = self._warming = [self.submit(worker_pid) for _ in range(self.workers)]
        if wait:
            for f in futures:
                f.result(timeout=60)

    def starting(self) -> bool:
        """Whether the workers that ``warm_up`` started are still starting (a fresh Python each, with the
        imports and data of ``setup``: a few seconds on a busy 2-core machine)."""
        return any(not f.done() for f in self._warming)

    def shutdown(self):
        self._pool.shutdown(wait=False, cancel_futures=True)


class InlineExecutor:
    """``WorkerPool``'s interface without processes: each task runs at once in the calling thread, or,
    with ``thread=True``, in a daemon thread of its own (so that the caller can watch it run)."""

    workers = 0

    def __init__(self, thread: bool = False):
        self.thread = thread
        self.chains = thread

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        if self.thread:
            future.set_running_or_notify_cancel()  # it starts now: cancel() says no, as a worker's running task does
            threading.Thread(target=_settle, args=(future, fn, args), daemon=True).start()
        else:
            _settle(future, fn, args)
        return future

    def warm_up(self, wait: bool = True):
        pass

    def starting(self) -> bool:
        return False

    def shutdown(self):
        pass


def _settle(future: Future, fn, args):
    try:
        future.set_result(fn(*args))
    except BaseException as err:  # noqa: BLE001 - handed to the caller through the future
        future.set_exception(err)
