"""Where live training runs: a pool of worker processes shared by every session, and the
``Run`` handle each session keeps.

Why processes: training is CPU-bound Python that holds the GIL. Run inside the
Streamlit server, eight students training at once starve the server itself (a new
visitor waited 9–89 s for a page in a measured naive design). Here the server only
schedules and draws; the steps run in ``os.cpu_count()`` worker processes, niced so
that serving pages always comes first.

How: a run advances in time slices (``SLICE_SECONDS``). A slice ships the data-less
``Trainer`` (weights and position, a few KB) to a worker, which re-attaches the
dataset from its own cache, trains, and sends the trainer back with a ``Progress``.
When a slice finishes, the next one of the same run is queued at once (the pool's
queue is first-in first-out, so sessions take turns fairly), until the run is
paused, finishes, diverges, or its page stops asking for updates.

``NNVIZ_WORKERS=0`` (or a platform without working multiprocessing) runs slices in
the calling thread instead: one slice per ``poll``.
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import types
import weakref
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from nnviz.admission import get_admission
from nnviz.datasets import LESSON, Dataset, lesson_data, make_2d, standardize
from nnviz.training import EpochRecord, History, Trainer

SLICE_SECONDS = 0.15
IDLE_SECONDS = 30.0  # a run whose page has not polled for this long stops queueing slices
UPLOAD_DIR = Path(tempfile.gettempdir()) / "nnviz-uploads"


# ----------------------------------------------------------------------------- data


@dataclass(frozen=True)
class DataRef:
    """How any process finds a run's dataset: a built-in set from its parameters, or an uploaded file."""

    kind: str  # "lesson", a 2-D set's name, or "file"
    samples: int = 0
    noise: float = 0.0
    train_split: float = 0.0
    seed: int = 0
    path: str = ""
    title: str = ""
    standardize: bool = False


@lru_cache(maxsize=16)
def load_data(ref: DataRef) -> Dataset:
    """The dataset ``ref`` names, cached per process."""
    if ref.kind == LESSON:
        ds = lesson_data()
    elif ref.kind == "file":
        with np.load(ref.path, allow_pickle=False) as f:
            ds = Dataset(
                "csv", ref.title, f["X_train"], f["y_train"], f["X_test"], f["y_test"],
                tuple(str(n) for n in f["feature_names"]), str(f["description"]),
            )
    else:
        ds = make_2d(ref.kind, ref.samples, ref.noise, ref.train_split, ref.seed)
    return standardize(ds) if ref.standardize else ds


def register_upload(ds: Dataset, standardize: bool = False) -> DataRef:
    """Store a parsed upload where worker processes can read it (content-addressed, never pickled)."""
    digest = hashlib.sha256()
    for a in (ds.X_train, ds.y_train, ds.X_test, ds.y_test):
        digest.update(np.ascontiguousarray(a).tobytes())
    digest.update("\x1f".join(ds.feature_names).encode())
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    path = UPLOAD_DIR / f"{digest.hexdigest()[:32]}.npz"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp.npz")
        np.savez(tmp, X_train=ds.X_train, y_train=ds.y_train, X_test=ds.X_test, y_test=ds.y_test,
                 feature_names=np.array(ds.feature_names, dtype=str), description=np.array(ds.description))
        os.replace(tmp, path)
        _prune_uploads()
    return DataRef("file", path=str(path), title=ds.title, standardize=standardize)


def _prune_uploads(keep: int = 200):
    files = sorted(UPLOAD_DIR.glob("*.npz"), key=lambda p: p.stat().st_mtime)
    for old in files[:-keep]:
        old.unlink(missing_ok=True)


# ----------------------------------------------------------------------------- executors


def _worker_init():
    try:
        os.nice(5)  # pages first, training second
    except OSError:
        pass
    import nnviz.datasets  # noqa: F401 - import now, not in the first slice
    import nnviz.training  # noqa: F401
    try:  # one BLAS thread per worker: tiny matrices, and the workers already fill the cores
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # noqa: BLE001 - an optimisation only
        pass


def _train_slice(trainer: Trainer, ref: DataRef, seconds: float | None, epochs: int | None):
    """In a worker: re-attach the data, train one slice, return the trainer and what happened."""
    ds = load_data(ref)
    trainer.attach(ds.X_train, ds.y_train, ds.X_test, ds.y_test)
    progress = trainer.run(seconds=seconds, epochs=epochs)
    return trainer, progress


class InlineExecutor:
    """Runs each task at once in the calling thread (no worker processes)."""

    chains = False
    workers = 0

    def warm_up(self, wait: bool = True):
        pass

    def submit(self, fn, *args):
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except BaseException as err:  # noqa: BLE001 - handed to the caller through the future
            future.set_exception(err)
        return future


_MAIN_LOCK = threading.Lock()
_BLANK_MAIN = types.ModuleType("__main__")


class _WorkerProcess(multiprocessing.context.SpawnProcess):
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


class _WorkerContext(multiprocessing.context.SpawnContext):
    Process = _WorkerProcess


def worker_context():
    """A spawn context whose children start without re-running the page script (see ``_WorkerProcess``)."""
    return _WorkerContext()


class PoolExecutor:
    """A process pool that recreates itself if a worker dies."""

    chains = True

    def __init__(self, workers: int):
        self.workers = workers
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self):
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=_WorkerContext(), initializer=_worker_init)

    def submit(self, fn, *args):
        with self._lock:
            try:
                return self._pool.submit(fn, *args)
            except (BrokenProcessPool, RuntimeError):
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
                return self._pool.submit(fn, *args)

    def warm_up(self, wait: bool = True):
        """Start the workers now, so that the first Train press does not wait for them."""
        futures = [self.submit(_noop) for _ in range(self.workers)]
        if wait:
            for f in futures:
                f.result(timeout=60)

    def shutdown(self):
        self._pool.shutdown(wait=False, cancel_futures=True)


def _noop():
    return os.getpid()


_EXECUTOR = None
_EXECUTOR_LOCK = threading.Lock()


def get_executor():
    """The process-wide executor: a pool of ``NNVIZ_WORKERS`` (default: the number of cores) workers."""
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        if _EXECUTOR is None:
            workers = int(os.environ.get("NNVIZ_WORKERS", os.cpu_count() or 1))
            if workers <= 0:
                _EXECUTOR = InlineExecutor()
            else:
                try:
                    _EXECUTOR = PoolExecutor(workers)
                except (OSError, ImportError, NotImplementedError):  # e.g. no /dev/shm on some hosts
                    _EXECUTOR = InlineExecutor()
                else:
                    atexit.register(_EXECUTOR.shutdown)
                    _EXECUTOR.warm_up(wait=False)  # spawn the workers while the page is being read
        return _EXECUTOR


# ----------------------------------------------------------------------------- a session's run

_RUNS: weakref.WeakSet = weakref.WeakSet()


def playing_runs() -> int:
    """How many runs in this server are playing now (pages slow their redraws when many are)."""
    return sum(1 for run in list(_RUNS) if run.state == "playing")


def redraw_interval(base: float = 0.15, limit: float = 1.0) -> float:
    """Seconds between chart refreshes: ``base`` with one or two runs playing, longer with more,
    so that a classroom's redraws never crowd out the training and the serving."""
    return min(limit, base * max(1.0, playing_runs() / 2))


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a run's state for drawing."""

    state: str  # "ready", "queued", "playing", "paused", "finished", "diverged", "failed"
    epochs: tuple[EpochRecord, ...]
    batch_steps: np.ndarray
    batch_losses: np.ndarray
    step: int
    epoch: int
    steps_per_epoch: int
    steps_per_s: float  # training speed in the last slice
    wall_seconds: float  # time spent playing, queueing and shipping included
    message: str
    model: object  # the ShallowNN as of the last finished slice (a worker trains a copy of it)
    version: int
    queued_ahead: int = 0  # while queued: runs ahead of this one (nnviz.admission)


class Run:
    """One training run of one session, advanced by the shared executor.

    Parameters
    ----------
    trainer : Trainer
        A fresh trainer with its data attached.
    ref : DataRef
        How workers find the same data.
    executor : optional
        Defaults to ``get_executor()``.
    admission : optional
        Who decides when the run may play (``nnviz.admission``); defaults to the server's.
    """

    def __init__(self, trainer: Trainer, ref: DataRef, executor=None, admission=None):
        self.ref = ref
        self.executor = executor or get_executor()
        self.admission = admission or get_admission(getattr(self.executor, "workers", 1))
        self.history = History()
        self.state = "ready"
        self.message = ""
        self.version = 0
        self.epochs_per_s: float | None = None  # None: as fast as possible
        self._trainer = trainer
        self._steps_per_epoch = trainer.steps_per_epoch
        self._future: Future | None = None
        self._lock = threading.RLock()
        self._last_poll = time.monotonic()
        self._next_at = 0.0  # pacing: do not start a slice before this time
        self._recent_speed = 0.0
        self._wall = 0.0
        self._play_started: float | None = None
        self._resume_state = "ready"  # where Pause returns a queued run
        self._queued_ahead = 0
        self._drawn = None  # (version, epochs, batch steps, batch losses): built once per version
        _RUNS.add(self)

    # --- controls

    def play(self, epochs_per_s: float | None = None):
        """Start or resume; ``epochs_per_s`` caps the pace so that a class can watch."""
        with self._lock:
            self.epochs_per_s = epochs_per_s
            if self.state in ("ready", "paused"):
                self._resume_state = self.state
                self._touch()
                if self.admission.request(self):
                    self._start_playing()
                else:
                    self.state = "queued"
                    self._queued_ahead = self.admission.status(self)[1]
                    self.version += 1

    def _start_playing(self):
        self.state = "playing"
        self._play_started = time.monotonic()
        self._next_at = 0.0
        self._submit_if_due()

    def pause(self):
        """Stop queueing slices; a slice under way finishes and is kept. A queued run leaves the queue."""
        with self._lock:
            if self.state == "queued":
                self.state = self._resume_state
                self.admission.withdraw(self)
                self.version += 1
            elif self.state == "playing":
                self.state = "paused"
                self._stop_clock()
                self.admission.withdraw(self)

    def step_epoch(self, timeout: float = 120.0):
        """Train to the end of the current epoch, and wait for it."""
        with self._lock:
            if self.state not in ("ready", "paused") or self._future is not None:
                return
            future = self._submit(seconds=None, epochs=1)
        try:
            future.result(timeout=timeout)
        except Exception:  # noqa: BLE001 - a failure is recorded by _merge; a timeout merges later
            if not future.done():
                return
        self._merge(future)

    def poll(self) -> Snapshot:
        """Take in finished work, queue more if due, and return a snapshot to draw."""
        with self._lock:
            self._touch()
            self._admission_poll()
            future = self._future
        if future is not None and future.done():
            self._merge(future)
        with self._lock:
            self._submit_if_due()
            return self._snapshot()

    def _admission_poll(self):
        """A queued run starts when admitted, or returns to its previous state if it lost its place;
        a playing run that lost its place (its page was silent) asks again."""
        if self.state not in ("queued", "playing"):
            return
        status, ahead = self.admission.status(self)
        if status == "none" and self.state == "playing":
            status = "live" if self.admission.request(self) else "queued"
            ahead = self.admission.status(self)[1]
        if self.state == "queued" and status == "live":
            self._start_playing()
        elif self.state == "queued" and status in ("dropped", "none"):
            self.state = self._resume_state
            self.admission.withdraw(self)  # forget it: Train queues it again at the back
            self.version += 1
        elif status == "queued":
            if self.state == "playing":
                self.state = "queued"
                self._stop_clock()
            if ahead != self._queued_ahead:
                self._queued_ahead = ahead
                self.version += 1
        else:
            self.admission.heartbeat(self)

    @property
    def busy(self) -> bool:
        return self._future is not None

    @property
    def active(self) -> bool:
        """Still wants drawing updates: playing, queued, or a slice still under way."""
        return self.state in ("playing", "queued") or self._future is not None

    # --- internals

    def _touch(self):
        self._last_poll = time.monotonic()

    def _submit_if_due(self):
        if (self.state == "playing" and self._future is None
                and time.monotonic() >= self._next_at
                and time.monotonic() - self._last_poll < IDLE_SECONDS):
            epochs = None
            if self.epochs_per_s:
                epochs = max(1, int(round(self.epochs_per_s * SLICE_SECONDS)))
            self._submit(seconds=SLICE_SECONDS, epochs=epochs)

    def _submit(self, seconds, epochs) -> Future:
        self._slice_started = time.monotonic()
        self._slice_epochs = epochs
        future = self.executor.submit(_train_slice, self._trainer, self.ref, seconds, epochs)
        self._future = future
        if self.executor.chains:
            future.add_done_callback(self._merge)
        else:
            self._merge(future)
        return future

    def _merge(self, future: Future):
        with self._lock:
            if future is not self._future:
                return  # merged already (the callback and a poll can both arrive)
            self._future = None
            try:
                trainer, progress = future.result()
            except Exception as err:  # noqa: BLE001 - a failed slice must not kill the page
                self.state = "failed"
                self.message = f"training stopped: {type(err).__name__}: {err}"
                self._stop_clock()
                self.admission.withdraw(self)
                self.version += 1
                return
            self._trainer = trainer
            self.history.extend(progress)
            if progress.n_steps:
                self._recent_speed = progress.steps_per_s
            self.version += 1
            if trainer.stop is not None:
                self.state = trainer.stop.kind
                self.message = trainer.stop.message
                self._stop_clock()
                self.admission.withdraw(self)
                return
            if self.epochs_per_s and self._slice_epochs:
                # the next slice starts when the pace allows
                self._next_at = self._slice_started + len(progress.epochs) / self.epochs_per_s
            if self.executor.chains and self.state == "playing":
                delay = self._next_at - time.monotonic()
                if delay > 0:
                    timer = threading.Timer(delay, self._submit_later)
                    timer.daemon = True
                    timer.start()
                else:
                    self._submit_if_due()

    def _stop_clock(self):
        if self._play_started is not None:
            self._wall += time.monotonic() - self._play_started
            self._play_started = None

    def _submit_later(self):
        with self._lock:
            self._submit_if_due()

    def _snapshot(self) -> Snapshot:
        h = self.history
        if self._drawn is None or self._drawn[0] != self.version:  # the history changes only with the version
            self._drawn = (self.version, tuple(h.epochs), h.batch_steps, h.batch_losses)
        _, epochs, batch_steps, batch_losses = self._drawn
        return Snapshot(
            state=self.state, epochs=epochs, batch_steps=batch_steps, batch_losses=batch_losses,
            step=self._trainer.step, epoch=self._trainer.epoch, steps_per_epoch=self._steps_per_epoch,
            steps_per_s=self._recent_speed, message=self.message, model=self._trainer.model, version=self.version,
            wall_seconds=self._wall + (time.monotonic() - self._play_started if self._play_started else 0.0),
            queued_ahead=self._queued_ahead if self.state == "queued" else 0,
        )
