"""Heavy trainings (Keras, and the NumPy twin of the MNIST page): one at a time per server, in a
process of their own.

A Keras training of the lesson's network peaks at about 1.3 GB, so a class pressing Train together
must queue, not run the server out of memory: ``QUEUE`` runs jobs first come, first served. Each
runs in one long-lived worker process, niced, so that the server keeps serving pages and reading
drawn digits at full speed: measured with the training in a thread of the server instead, a drawn
digit took ~500 ms to predict (TensorFlow's thread pool was busy training) and a page took seconds.

The worker reports progress through a small JSON file the page polls, and stops when a stop file
appears — nothing but plain data crosses between the processes.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path


def peak_memory_mb() -> float:
    """The largest resident memory this process has had, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass
class Progress:
    """What a page draws while a job trains: the current batch, and the history per epoch."""

    epochs: int
    batches_per_epoch: int = 0
    epoch: int = 0  # epochs finished
    batch: int = 0  # batches done in the epoch under way
    batch_loss: float | None = None
    batch_accuracy: float | None = None
    history: dict = field(default_factory=lambda: {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []})
    epoch_seconds: list = field(default_factory=list)


class Reporter:
    """The worker's side: writes ``Progress`` to a file every so often, and says when to stop."""

    def __init__(self, workdir: str | Path, progress: Progress):
        self.dir = Path(workdir)
        self.progress = progress
        self._last = 0.0

    def write(self, force: bool = False):
        now = time.monotonic()
        if not force and now - self._last < 0.2:
            return
        self._last = now
        tmp = self.dir / "progress.tmp"
        tmp.write_text(json.dumps(asdict(self.progress)))
        os.replace(tmp, self.dir / "progress.json")

    @property
    def stop_requested(self) -> bool:
        return (self.dir / "stop").exists()


def read_progress(workdir: str | Path, into: Progress):
    """The server's side: copy the worker's latest progress into ``into`` (if there is any yet)."""
    path = Path(workdir) / "progress.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    for key, value in data.items():
        setattr(into, key, value)


@dataclass
class Job:
    """One requested training.

    ``target(params, workdir)`` runs in the worker process (a top-level function, so that it can be
    sent there) and returns plain data; ``finish(result)`` turns that into the job's ``result`` in
    the server (e.g. loads the saved model).
    """

    label: str
    target: Callable
    params: dict
    progress: Progress
    finish: Callable = lambda result: result
    state: str = "queued"  # queued, running, done, stopped, failed
    result: object = None
    error: str = ""
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    finished_at: float | None = None
    peak_memory_mb: float | None = None  # the worker's
    stop_requested: threading.Event = field(default_factory=threading.Event)

    def stop(self):
        self.stop_requested.set()
        if self.state == "queued":
            self.state = "stopped"


def _worker_init():
    try:
        os.nice(10)  # pages and predictions first, training second
    except OSError:
        pass


def _warm():
    import nnviz.keras_model  # noqa: F401 - TensorFlow's import (~5 s) now, not in the first training

    return os.getpid()


class TrainingQueue:
    """First come, first served; one job at a time, each in the worker process.

    ``inline=True`` runs the targets in the queue's own thread instead (tests, or a host without
    multiprocessing).
    """

    def __init__(self, inline: bool = False):
        self.inline = inline
        self._lock = threading.Lock()
        self._waiting: list[Job] = []
        self._wake = threading.Condition(self._lock)
        self.running: Job | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._thread = threading.Thread(target=self._serve, name="nnviz-training-queue", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> Job:
        with self._wake:
            self._waiting.append(job)
            self._wake.notify()
        return job

    def warm_up(self):
        """Start the training process and import TensorFlow in it, without waiting (the MNIST page calls
        this on its first visit, so that the first Train press does not wait ~5 s)."""
        if not self.inline and self._pool is None:
            try:
                self._worker().submit(_warm)
            except Exception:  # noqa: BLE001 - an optimisation only; a training will start the process
                pass

    def position(self, job: Job) -> int:
        """0 while running or done; n when n trainings are ahead of it."""
        with self._lock:
            if job not in self._waiting:
                return 0
            return self._waiting.index(job) + (1 if self.running is not None else 0)

    def _serve(self):
        while True:
            with self._wake:
                while not self._waiting:
                    self._wake.wait()
                job = self._waiting.pop(0)
                if job.state == "stopped":
                    continue
                self.running = job
            try:
                self._run(job)
            finally:
                with self._lock:
                    self.running = None

    def _worker(self) -> ProcessPoolExecutor:
        if self._pool is None:
            from nnviz.runner import worker_context

            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=worker_context(), initializer=_worker_init)
        return self._pool

    def _run(self, job: Job):
        job.state = "running"
        job.started_at = time.monotonic()
        workdir = tempfile.mkdtemp(prefix="nnviz-job-")
        try:
            if self.inline:
                future: Future = Future()
                runner = threading.Thread(target=lambda: _settle(future, job.target, job.params, workdir), daemon=True)
                runner.start()
            else:
                try:
                    future = self._worker().submit(job.target, job.params, workdir)
                except Exception:  # noqa: BLE001 - a broken pool (a worker was killed): start a new one
                    self._pool = None
                    future = self._worker().submit(job.target, job.params, workdir)
            while not future.done():
                if job.stop_requested.is_set():
                    Path(workdir, "stop").touch()
                read_progress(workdir, job.progress)
                time.sleep(0.1)
            read_progress(workdir, job.progress)
            outcome = future.result()
            job.peak_memory_mb = outcome.get("peak_memory_mb") if isinstance(outcome, dict) else None
            job.result = job.finish(outcome)
            job.state = "stopped" if job.stop_requested.is_set() else "done"
        except Exception as err:  # noqa: BLE001 - reported on the page, never raised into the server
            job.state = "failed"
            job.error = f"{type(err).__name__}: {err}"
        finally:
            job.finished_at = time.monotonic()
            shutil.rmtree(workdir, ignore_errors=True)


def _settle(future: Future, target, params, workdir):
    try:
        future.set_result(target(params, workdir))
    except BaseException as err:  # noqa: BLE001
        future.set_exception(err)


QUEUE = TrainingQueue(inline=os.environ.get("NNVIZ_WORKERS") == "0")
