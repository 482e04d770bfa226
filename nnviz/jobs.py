"""Heavy trainings (Keras, and the NumPy twin of the MNIST page), one at a time per server.

A Keras training of the lesson's network peaks at about 1.25 GB; a class pressing Train together
must queue, not run the server out of memory. ``QUEUE`` runs jobs first come first served in one
background thread (TensorFlow and NumPy's BLAS release the GIL while they compute, so pages stay
responsive); a page polls its job's ``Progress`` and shows its place in the queue.
"""

from __future__ import annotations

import resource
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field


def peak_memory_mb() -> float:
    """The largest resident memory this process has had, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass
class Progress:
    """What a page draws while Keras trains: the current batch, and the history per epoch."""

    epochs: int
    batches_per_epoch: int = 0
    epoch: int = 0  # 0-based epoch under way
    batch: int = 0  # batches done in it
    batch_loss: float | None = None
    batch_accuracy: float | None = None
    history: dict = field(default_factory=lambda: {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []})
    epoch_seconds: list = field(default_factory=list)


@dataclass
class Job:
    """One requested training: waits in the queue, runs, and leaves its result here."""

    label: str
    run: Callable[[Job], object]
    progress: Progress
    state: str = "queued"  # queued, running, done, stopped, failed
    result: object = None
    error: str = ""
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    finished_at: float | None = None
    peak_memory_mb: float | None = None
    stop_requested: threading.Event = field(default_factory=threading.Event)

    def stop(self):
        self.stop_requested.set()
        if self.state == "queued":
            self.state = "stopped"


class TrainingQueue:
    """Runs heavy trainings one at a time, first come first served, in one background thread."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nnviz-training")
        self._lock = threading.Lock()
        self._waiting: list[Job] = []
        self.running: Job | None = None

    def submit(self, job: Job) -> Job:
        with self._lock:
            self._waiting.append(job)
        self._pool.submit(self._run, job)
        return job

    def position(self, job: Job) -> int:
        """0 while running or done; n when n trainings are ahead of it."""
        with self._lock:
            if job not in self._waiting:
                return 0
            return self._waiting.index(job) + (1 if self.running is not None else 0)

    def _run(self, job: Job):
        with self._lock:
            if job in self._waiting:
                self._waiting.remove(job)
            if job.state == "stopped":
                return
            self.running = job
        job.state = "running"
        job.started_at = time.monotonic()
        try:
            job.result = job.run(job)
            job.state = "stopped" if job.stop_requested.is_set() else "done"
        except Exception as err:  # noqa: BLE001 - reported on the page, never raised into the server
            job.state = "failed"
            job.error = f"{type(err).__name__}: {err}"
        finally:
            job.finished_at = time.monotonic()
            job.peak_memory_mb = peak_memory_mb()
            with self._lock:
                self.running = None


QUEUE = TrainingQueue()


