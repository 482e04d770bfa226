"""Heavy trainings (Keras, and the NumPy twin of the MNIST page): one at a time per server, in a
process of their own.

A Keras training of the lesson's network peaks at about 1.3 GB, so a class pressing Train together
must queue, not run the server out of memory: ``QUEUE`` runs jobs first come, first served. Each
runs in one long-lived worker process, niced, so that the server keeps serving pages and reading
drawn digits at full speed.

The queue is bounded and self-healing:

- one job per owner (a browser session) at a time, queued or running;
- shared per client (``Job.client``, the address ``nnviz.serving.identity`` gives): the line goes round by round — each
  client's first waiting job before anyone's second — so forty tabs of one visitor wait behind every other
  visitor's one;
- at most ``max_waiting`` jobs wait; a full queue still takes a job from a client with fewer jobs waiting than
  the client with the most, whose newest waiting job then makes room ("dropped"); otherwise ``submit`` refuses
  with "the queue is full";
- a job whose owner is gone (its tab closed) is dropped while it waits, and stopped if it runs;
- any failure of one job (a full temp dir, a killed worker, an error in the training) marks that
  job "failed" and the queue goes on with the next.

A job names its target as ``"module:function"``: the function runs in the worker, which imports
that module there; the server never imports it (the Keras trainings' module imports TensorFlow).
The worker reports progress through a small JSON file the page polls, and stops when a stop file
appears — nothing but plain data crosses between the processes.
"""

from __future__ import annotations

import importlib
import json
import os
import resource
import shutil
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path

from nnviz.serving.background import WORKER_NICE, InlineExecutor, WorkerPool

#: How many jobs may wait at once (each owner has at most one): a lecture hall's worth of 5-epoch trainings
#: (~15–30 s each) would wait up to ~20 minutes at the end of this line, which is the most a page should ask.
MAX_WAITING = 40
# A job's page counts as closed once it has been gone this long in a row. Seen in CI while another benchmark
# saturated the machine: a Keras training was stopped because its tab's connection lapsed for a moment.
OWNER_GRACE_SECONDS = 10.0


def peak_memory_mb() -> float:
    """The largest resident memory this process has had, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


@dataclass
class JobProgress:
    """What a page draws while a job trains: the stage, the current batch, per-batch samples
    ``[epoch position, loss, accuracy]`` and the history per epoch."""

    epochs: int
    batches_per_epoch: int = 0
    epoch: int = 0  # epochs finished
    batch: int = 0  # batches done in the epoch under way
    batch_loss: float | None = None
    batch_accuracy: float | None = None
    stage: str = ""  # what the worker is doing before and after the batches: loading, training, saving
    batches: list = field(default_factory=list)
    history: dict = field(default_factory=lambda: {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []})
    epoch_seconds: list = field(default_factory=list)


class Reporter:
    """The worker's side: writes ``JobProgress`` to a file every so often, and says when to stop."""

    def __init__(self, workdir: str | Path, progress: JobProgress):
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


def read_progress(workdir: str | Path, into: JobProgress):
    """The server's side: copy the worker's latest progress into ``into`` (if there is any yet)."""
    path = Path(workdir) / "progress.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return
    for key, value in data.items():
        setattr(into, key, value)


def _always() -> bool:
    return True


class JobState(str, Enum):
    """A job's life: queued → running → done / stopped / failed; a queued job may also be stopped, or
    dropped (its page closed, or it made room for another client's)."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    STOPPED = "stopped"
    FAILED = "failed"
    DROPPED = "dropped"

    def __str__(self) -> str:
        return self.value


@dataclass
class Job:
    """One requested training.

    ``target`` is ``"module:function"`` (or a function, for tests that run inline); ``function(params,
    workdir)`` runs in the worker process and returns plain data; ``finish(result)`` turns that into the
    job's ``result`` in the server (e.g. loads the saved weights). ``owner`` identifies who asked (one job
    per owner) and ``alive()`` says whether they are still there.
    """

    label: str
    target: Callable | str
    params: dict
    progress: JobProgress
    finish: Callable = lambda result: result
    owner: str = ""
    alive: Callable[[], bool] = _always
    client: str = ""  # who asks, for the queue's fair share (default: the owner)
    state: JobState = JobState.QUEUED
    result: object = None
    error: str = ""
    queued_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    finished_at: float | None = None
    peak_memory_mb: float | None = None  # the worker's
    stop_requested: threading.Event = field(default_factory=threading.Event)
    gone_since: float | None = None  # when its page was first found gone (None: there, as far as is known)

    @property
    def busy(self) -> bool:
        return self.state in (JobState.QUEUED, JobState.RUNNING)

    @property
    def who(self) -> str:
        """The client it counts against (its owner's when no client was given)."""
        return self.client or self.owner

    def stop(self):
        self.stop_requested.set()
        if self.state == JobState.QUEUED:
            self.state = JobState.STOPPED


class QueueRefused(RuntimeError):
    """``submit`` did not queue the job; the message says why, in words for the page."""


def call_target(target: Callable | str, params: dict, workdir: str):
    """Run a job's target: a function, or ``"module:function"`` imported here (in the worker)."""
    if isinstance(target, str):
        module, _, name = target.partition(":")
        target = getattr(importlib.import_module(module), name)
    return target(params, workdir)


def _import_in_worker(module: str) -> int:
    importlib.import_module(module)
    return os.getpid()


class TrainingQueue:
    """First come, first served; one job at a time, each in the worker process.

    The worker is a ``WorkerPool`` of one process (``nnviz.serving.background``: niced by ``nice``, rebuilt after it
    dies, gone with the server). ``inline=True`` runs the targets in a thread of this process instead (tests, or a host
    without multiprocessing).
    """

    def __init__(self, inline: bool = False, max_waiting: int = MAX_WAITING, poll: float = 0.1,
                 owner_grace: float = OWNER_GRACE_SECONDS, nice: int = WORKER_NICE):
        self.inline = inline
        self.nice = nice
        self.max_waiting = max_waiting
        self.poll = poll
        self.owner_grace = owner_grace
        self._lock = threading.Lock()
        self._waiting: list[Job] = []
        self._wake = threading.Condition(self._lock)
        self.running: Job | None = None
        self._pool: WorkerPool | InlineExecutor | None = InlineExecutor(thread=True) if inline else None
        self._thread = threading.Thread(target=self._serve, name="nnviz-training-queue", daemon=True)
        self._thread.start()

    def submit(self, job: Job) -> Job:
        """Queue ``job``, or raise ``QueueRefused`` if its owner already has a job queued or running,
        or if the queue is full."""
        with self._wake:
            self._prune()
            if job.owner and any(j.owner == job.owner and j.busy for j in self._jobs()):
                raise QueueRefused("You already have a training queued or running: wait for it to finish, "
                                   "or stop it first.")
            if len(self._waiting) >= self.max_waiting and not self._make_room_for(job):
                raise QueueRefused(f"The queue is full: {len(self._waiting)} trainings are waiting for this "
                                   "server. Try again in a few minutes.")
            job.state = JobState.QUEUED
            self._waiting.append(job)
            self._wake.notify()
        return job

    def _make_room_for(self, job: Job) -> bool:
        """A full queue: drop the newest waiting job of the client with the most waiting, if that client has more
        than one more than ``job``'s (with the lock held). One client cannot fill the queue for everyone."""
        counts = Counter(j.who for j in self._waiting)
        top, most = max(counts.items(), key=lambda kv: kv[1])
        if most <= counts.get(job.who, 0) + 1:
            return False
        bumped = next(j for j in reversed(self._waiting) if j.who == top)
        self._waiting.remove(bumped)
        bumped.state = JobState.DROPPED
        bumped.error = "the queue was full, and another visitor's training took the place of this one"
        bumped.finished_at = time.monotonic()
        return True

    def _ordered(self) -> list[Job]:
        """The waiting jobs in the order they will run: round by round per client (a client's running job counts
        as its first), by arrival within a round (with the lock held)."""
        rank = Counter([self.running.who] if self.running is not None else [])
        rounds = []
        for i, job in enumerate(self._waiting):
            rounds.append((rank[job.who], i, job))
            rank[job.who] += 1
        return [job for *_, job in sorted(rounds, key=lambda r: r[:2])]

    def _jobs(self) -> list[Job]:
        return self._waiting + ([self.running] if self.running is not None else [])

    def waiting(self) -> int:
        with self._lock:
            return len(self._waiting)

    def warm_up(self, module: str):
        """Start the training process and import ``module`` in it, without waiting (the MNIST page calls
        this on its first visit, so that the first Train press does not wait for TensorFlow's ~5 s import)."""
        if not self.inline and self._pool is None:
            try:
                self._worker().submit(_import_in_worker, module)
            except Exception:  # noqa: BLE001 - an optimisation only; a training will start the process
                pass

    def position(self, job: Job) -> int:
        """0 while running or done; n when n trainings are ahead of it."""
        with self._lock:
            if job not in self._waiting:
                return 0
            return self._ordered().index(job) + (1 if self.running is not None else 0)

    def _prune(self):
        """Drop waiting jobs that were stopped or whose owner left (called with the lock held)."""
        keep = []
        for job in self._waiting:
            if job.state == JobState.QUEUED and self._owner_gone(job):
                job.state, job.error = JobState.DROPPED, "its page was closed"
                job.finished_at = time.monotonic()
            if job.state == JobState.QUEUED:
                keep.append(job)
        self._waiting[:] = keep

    def _serve(self):
        while True:
            job = None
            try:
                with self._wake:
                    self._prune()
                    while not self._waiting:
                        self._wake.wait(timeout=1.0)
                        self._prune()
                    job = self._ordered()[0]
                    self._waiting.remove(job)
                    self.running = job
                self._run(job)
            except Exception as err:  # noqa: BLE001 - the queue outlives any one job (_run reports its own errors)
                if job is not None and job.busy:
                    job.state, job.error = JobState.FAILED, f"{type(err).__name__}: {err}"
                time.sleep(self.poll)
            finally:
                with self._lock:
                    self.running = None

    def _owner_gone(self, job: Job) -> bool:
        """Whether the job's page has been gone for ``owner_grace`` seconds in a row: a tab that loses its
        connection for a moment (a network blip, or a server so busy that the browser's connection lapsed)
        keeps its training; a closed tab loses it."""
        if _is_alive(job):
            job.gone_since = None
            return False
        now = time.monotonic()
        if job.gone_since is None:
            job.gone_since = now
        return now - job.gone_since >= self.owner_grace

    def _worker(self) -> WorkerPool | InlineExecutor:
        if self._pool is None:
            self._pool = WorkerPool(1, nice=self.nice)  # as far back as the live runs' workers (by default)
        return self._pool

    def _run(self, job: Job):
        job.state = JobState.RUNNING
        job.started_at = time.monotonic()
        workdir = None
        try:
            workdir = tempfile.mkdtemp(prefix="nnviz-job-")
            future = self._worker().submit(call_target, job.target, job.params, workdir)
            while not future.done():
                with self._lock:
                    self._prune()  # the line keeps moving for those waiting while this job runs
                if self._owner_gone(job):
                    job.stop_requested.set()
                if job.stop_requested.is_set():
                    Path(workdir, "stop").touch()
                read_progress(workdir, job.progress)
                time.sleep(self.poll)
            read_progress(workdir, job.progress)
            outcome = future.result()
            job.peak_memory_mb = outcome.get("peak_memory_mb") if isinstance(outcome, dict) else None
            job.result = job.finish(outcome)
            job.state = JobState.STOPPED if job.stop_requested.is_set() else JobState.DONE
        except Exception as err:  # noqa: BLE001 - reported on the page, never raised into the server
            job.state = JobState.FAILED
            job.error = f"{type(err).__name__}: {err}"
        finally:
            job.finished_at = time.monotonic()
            if workdir is not None:
                shutil.rmtree(workdir, ignore_errors=True)


def _is_alive(job: Job) -> bool:
    try:
        return bool(job.alive())
    except Exception:  # noqa: BLE001 - a broken check must not drop a job nor stop the queue
        return True


QUEUE = TrainingQueue(inline=os.environ.get("NNVIZ_WORKERS") == "0")
