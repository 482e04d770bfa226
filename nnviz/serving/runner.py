"""Where live training runs: a pool of worker processes shared by every session, and the
``Run`` handle each session keeps.

Why processes: training is CPU-bound Python that holds the GIL. Run inside the
Streamlit server, a few students training at once starve the server itself
(docs/decisions/training-workers.md). Here the server only
schedules and draws; the steps run in ``os.cpu_count()`` worker processes, niced so
that serving pages always comes first.

How: a run advances in time slices (``SLICE_SECONDS``; longer when many runs play: ``slice_seconds``).
A slice ships the data-less ``Trainer`` (weights and position, a few KB) to a worker, which re-attaches the
dataset from its own cache, trains, and sends the trainer back with a ``Progress``.
When a slice finishes, the next one of the same run is queued at once (the pool's
queue is first-in first-out, so sessions take turns fairly), until the run is
paused, finishes, diverges, or its page stops asking for updates.

Faults: the server keeps each run's trainer as of its last finished slice, so when a worker dies
(``kill -9``, out of memory) the pool is rebuilt and every run trains its lost slice again — the
same result as if nothing happened. Workers exit when the server dies. The worker processes themselves
(spawning, nice, rebuilding the pool, dying with the server) are ``nnviz.serving.background``'s.

``NNVIZ_WORKERS=0`` (or a platform without working multiprocessing) runs slices in
the calling thread instead: one slice per ``poll``.
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import os
import threading
import time
import weakref
from collections import deque
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from enum import Enum

import numpy as np

from nnviz.core.datasets import LESSON, MAX_CSV_BYTES, Dataset, parse_csv
from nnviz.core.training import Change, EpochRecord, History, Trainer, check_change_value
from nnviz.serving.admission import get_admission
from nnviz.serving.background import WORKER_NICE, InlineExecutor, WorkerPool

# Datasets are found through nnviz.serving.data_store; the names stay importable from here.
from nnviz.serving.data_store import DataRef, StoreError, UploadMissing, load_data, register_upload, restore
from nnviz.serving.identity import NOBODY, Owner
from nnviz.serving.limits import STARTS

__all__ = ["DataRef", "InlineExecutor", "Run", "RunState", "Snapshot", "get_executor", "load_data", "playing_runs",
           "redraw_interval", "register_upload", "set_executor", "training_pool"]

SLICE_SECONDS = 0.15
#: Identifies this server process: a page that finds another server's id in its URL knows that the
#: server restarted and the run that was on screen is gone.
SERVER_ID = f"{os.getpid():x}{time.time_ns() & 0xFFFFFF:06x}"
IDLE_SECONDS = 30.0  # a run whose page has not polled for this long stops queueing slices
WORKER_LOSSES = 3  # a run whose slice loses its worker this many times in a row stops (it kills them)
#: States of a run kept as its pages drew them, newest last: Pause can go back to the one on screen when the
#: button was pressed (a redraw every second at 50 epochs/s is 50 epochs between two frames)
DRAWN_STATES = 8


# ----------------------------------------------------------------------------- executors


def _prefetch(ref: DataRef) -> int:
    """In a worker: load ``ref``'s data into the worker's cache before the run's first slice needs it."""
    load_data(ref)
    return os.getpid()


def _train_slice(trainer: Trainer, ref: DataRef, seconds: float | None, epochs: int | None):
    """In a worker: re-attach the data, train one slice, return the trainer and what happened."""
    ds = load_data(ref)
    trainer.attach(ds.X_train, ds.y_train, ds.X_test, ds.y_test)
    progress = trainer.run(seconds=seconds, epochs=epochs)
    return trainer, progress


def _prepare_worker():
    """In each training worker, once: import what slices need, load the lesson's data (the page's default), and
    use one BLAS thread. The lesson's data come from scikit-learn, whose import takes ~1.4 s: paid here, while
    the page is read, not by the first Train (docs/decisions/training-workers.md)."""
    load_data(DataRef(LESSON))  # (nnviz.core.training and nnviz.core.datasets are imported with this module)
    try:  # one BLAS thread per worker: tiny matrices, and the workers already fill the cores
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # noqa: BLE001 - an optimisation only
        pass


def _parse_csv_task(data: bytes, name: str, seed: int) -> Dataset:
    return parse_csv(data, name=name, seed=seed, problem="auto")


#: An upload's parsing that has not come back from a worker by then is given up (the page says so).
PARSE_TIMEOUT_S = 120.0


def read_csv_upload(data: bytes, name: str, seed: int, waiting=contextlib.nullcontext) -> Dataset:
    """``nnviz.core.datasets.parse_csv`` of an uploaded file, run in a training worker rather than in the server: a
    max-size CSV takes ~1 s of Python, and three tabs uploading one in a loop lifted other students' longest chart
    gap from 0.2 to 3.5 s while the server parsed them. ``waiting`` is entered while the page waits for it (the app
    steps out of its gate there). The size is checked here first: nothing larger than the uploader's limit is
    shipped anywhere.

    Raises ``ValueError`` with a message for the user (the file's problem, or a server too busy to read it)."""
    if len(data) > MAX_CSV_BYTES:
        raise ValueError(f"the file is {len(data) / 2**20:.1f} MB; at most {MAX_CSV_BYTES / 2**20:.0f} MB are accepted")
    future = get_executor().submit(_parse_csv_task, bytes(data), name, seed)
    with waiting():
        try:
            return future.result(timeout=PARSE_TIMEOUT_S)
        except FutureTimeout:
            raise ValueError("the server is too busy to read the file right now; upload it again in a minute") from None
        except BrokenProcessPool:
            raise ValueError("the process reading the file stopped; upload it again") from None


def training_pool(workers: int, nice: int = WORKER_NICE) -> WorkerPool:
    """A pool of ``workers`` training workers, niced by ``nice`` (``WORKER_NICE``: ``nnviz.serving.background``)."""
    return WorkerPool(workers, nice=nice, setup=_prepare_worker)


_EXECUTOR = None
_EXECUTOR_LOCK = threading.Lock()
_MEANWHILE = InlineExecutor(thread=True)  # slices while the pool's workers start (``Run._submit``)


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
                    _EXECUTOR = training_pool(workers)
                except (OSError, ImportError, NotImplementedError):  # e.g. no /dev/shm on some hosts
                    _EXECUTOR = InlineExecutor()
                else:
                    atexit.register(_EXECUTOR.shutdown)
                    _EXECUTOR.warm_up(wait=False)  # spawn the workers while the page is being read
        return _EXECUTOR


def set_executor(executor) -> None:
    """Make ``executor`` the process-wide one from now on (tests train inline with ``InlineExecutor()``);
    the previous pool, if any, is shut down."""
    global _EXECUTOR
    with _EXECUTOR_LOCK:
        previous, _EXECUTOR = _EXECUTOR, executor
    if previous is not None and previous is not executor:
        previous.shutdown()


# ----------------------------------------------------------------------------- a session's run

_RUNS: weakref.WeakSet = weakref.WeakSet()
_PREFETCHED: dict[tuple[int, DataRef], None] = {}  # (executor, data) sent to its workers already, newest last
_PREFETCH_MEMORY = 256
_PREFETCH_LOCK = threading.Lock()


def _prefetch_once(executor, ref: DataRef):
    """Have the executor's workers load ``ref``'s data while the page is read — once per executor and dataset: a
    task per worker for every new run flooded the pool's first-in first-out queue when a tab pressed Train and
    Reset in a loop, and every other student's slices waited behind them."""
    key = (id(executor), replace(ref, lease=None))  # (without the upload's lease: this must not keep it stored)
    with _PREFETCH_LOCK:
        if key in _PREFETCHED:
            return
        _PREFETCHED[key] = None
        while len(_PREFETCHED) > _PREFETCH_MEMORY:
            del _PREFETCHED[next(iter(_PREFETCHED))]
    for _ in range(getattr(executor, "workers", 0)):
        executor.submit(_prefetch, ref)


def runs_alive() -> int:
    """How many ``Run`` objects this server holds (for its operators: the runs of sessions that are gone are freed)."""
    return len(list(_RUNS))


def playing_runs() -> int:
    """How many runs in this server are playing now (pages slow their redraws when many are)."""
    return sum(1 for run in list(_RUNS) if run.state == RunState.PLAYING)


def slice_seconds(base: float = SLICE_SECONDS, limit: float = 0.5) -> float:
    """How long a slice trains: ``base`` with one or two runs playing, longer with more (as the redraws
    slow down). Between two slices a run's trainer travels to the server and back, through the server's
    one GIL; with a busy server that round trip leaves a worker idle, so a crowd gets fewer, longer slices
    (docs/decisions/training-workers.md)."""
    return min(limit, base * max(1.0, playing_runs() / 2))


def redraw_interval(base: float = 0.15, limit: float = 1.0) -> float:
    """Seconds between chart refreshes: ``base`` with one or two runs playing, longer with more,
    so that a classroom's redraws never crowd out the training and the serving."""
    return min(limit, base * max(1.0, playing_runs() / 2))


class RunState(str, Enum):
    """Where a run is in its life: ready → (queued →) playing → paused / finished / diverged / failed.
    A ``str`` enum, so that a state reads, prints and compares as its name."""

    READY = "ready"
    QUEUED = "queued"  # waiting for a live place (nnviz.serving.admission)
    PLAYING = "playing"
    PAUSED = "paused"
    FINISHED = "finished"
    DIVERGED = "diverged"
    FAILED = "failed"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Snapshot:
    """A consistent copy of a run's state for drawing."""

    state: RunState
    epochs: tuple[EpochRecord, ...]
    batch_steps: np.ndarray
    batch_losses: np.ndarray
    step: int
    epoch: int
    steps_per_epoch: int
    wall_seconds: float  # time spent playing, queueing and shipping included
    message: str
    model: object  # the ShallowNN as of the last finished slice (a worker trains a copy of it)
    queued_ahead: int = 0  # while queued: runs ahead of this one (nnviz.serving.admission)
    schedule: tuple[Change, ...] = ()  # the changes made during the run so far (``Run.change``), in order

    @property
    def speed(self) -> float:
        """The run's one speed: gradient steps per second of playing time (slices, waiting for a worker and
        pacing included) — what the readout shows while it plays and the finish message reports. 0 before
        the run has played."""
        return self.step / self.wall_seconds if self.wall_seconds > 0 else 0.0


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
    settings : optional
        What the run was made from (e.g. a ``TrainerSettings``): the run carries them, so that an
        export or a link describes this run even after the page's widgets have moved on.
    admission : optional
        Who decides when the run may play (``nnviz.serving.admission``); defaults to the server's.
    owner : Owner, optional
        Whose run it is (``nnviz.serving.identity``): live places are shared per client, a session plays one run at a
        time, and a run whose session has gone stops training and frees its place.
    """

    def __init__(self, trainer: Trainer, ref: DataRef, executor=None, settings=None, admission=None,
                 owner: Owner = NOBODY):
        self.ref = ref
        self.settings = settings
        self.owner = owner
        self.executor = executor or get_executor()
        self.admission = admission or get_admission(getattr(self.executor, "workers", 1))
        # The run keeps the one history: it records what each slice returns, and the trainer (shipped to a
        # worker, or trained here inline) records nothing.
        self.history, trainer.history = trainer.history or History(), None
        self.state = RunState.READY
        self.message = ""
        self._version = 0  # counts changes of the history: a snapshot copies it only when it moved
        self._pace: float | None = None  # epochs per second; None: as fast as possible
        self._pace_origin = (0.0, 0)  # (time, epoch) the pace counts from
        self._trainer = trainer
        self._steps_per_epoch = trainer.steps_per_epoch
        self._future: Future | None = None
        self._lock = threading.RLock()
        self._losses = 0  # slices lost in a row (a worker died): retried up to WORKER_LOSSES times
        self._slice_seconds: float | None = None
        self._last_poll = time.monotonic()
        self._next_at = 0.0  # pacing: do not start a slice before this time
        self._wall = 0.0
        self._play_started: float | None = None
        self._resume_state = RunState.READY  # where Pause returns a queued run
        self._queued_ahead = 0
        self._drawn = None  # (version, epochs, batch steps, batch losses): built once per version
        self._shown: deque[Trainer] = deque(maxlen=DRAWN_STATES)  # the trainer of each state a page drew
        self.refused = ""  # why the last Train or Step did not start (too many starts), for the page to say
        self._wanted: dict[str, object] = {}  # changes asked for during the run (``change``): what -> value
        self._changes: tuple[Change, ...] = ()  # the trainer's schedule as the last snapshot gave it
        _RUNS.add(self)
        _prefetch_once(self.executor, ref)

    @property
    def key(self) -> tuple:
        """What makes two runs the same run: their settings' ``run_key()`` and their data."""
        run_key = getattr(self.settings, "run_key", None)
        return (run_key() if run_key else None, self.ref)

    @property
    def epochs_per_s(self) -> float | None:
        """The pace: at most this many epochs per second on average (None: as fast as possible)."""
        return self._pace

    @epochs_per_s.setter
    def epochs_per_s(self, value: float | None):
        with self._lock:
            if value != self._pace:
                self._pace = value
                self._restart_pace()

    def _restart_pace(self):
        self._pace_origin = (time.monotonic(), self._trainer.epoch)
        self._next_at = 0.0

    # --- controls

    def _may_start(self) -> bool:
        """Whether this run's session and client may start a run now (``nnviz.serving.limits``); if not, ``refused`` says
        how long to wait. A run of no session (a script's, a test's) is not limited."""
        if not self.owner.session:
            return True
        wait = STARTS.start(self.owner.session, self.owner.client)
        self.refused = "" if wait == 0 else (
            f"Too many runs started from here in a short time: wait {max(1, round(wait))} s, then press Train "
            "again. (Each start keeps a training process busy for a moment, whether the run is watched or not.)")
        return wait == 0

    def play(self, epochs_per_s: float | None = None):
        """Start or resume; ``epochs_per_s`` caps the pace so that a class can watch. Any other run of the same
        session that plays or waits is paused: a session plays one run at a time (a run left behind by a page
        that lost its state would otherwise train, and hold a place, with nobody watching). A session or client
        that started too many runs lately is refused (``refused`` says so)."""
        starting = self.state in (RunState.READY, RunState.PAUSED)
        if starting and not self._may_start():
            return
        if starting and self.owner.session:
            for other in list(_RUNS):
                if other is not self and other.owner.session == self.owner.session and other.active:
                    other.pause(wait=0.0)
        with self._lock:
            self._pace = epochs_per_s
            if self.state in (RunState.READY, RunState.PAUSED):
                self._resume_state = self.state
                self._touch()
                if self._request():
                    self._start_playing()
                else:
                    self.state = RunState.QUEUED
                    self._queued_ahead = self.admission.status(self)[1]
                    self._version += 1

    def admitted(self):
        """The admission gave this queued run a live place (called on a thread of its own): it starts now,
        not at its page's next poll, which far back in a long queue was up to ``QUEUE_POLL_MAX`` s away.
        Its page sees it playing at that poll."""
        with self._lock:
            if self.state == RunState.QUEUED and self.admission.status(self)[0] == "live":
                self._touch()  # its page polled within its patience: it trains until its page is heard from
                self._start_playing()
                self._version += 1

    def evicted(self):
        """The admission dropped this live run: its page was silent for longer than it allows (called on a
        thread of its own). It stops training and waits; when its page polls again it asks for a place."""
        with self._lock:
            if self.state == RunState.PLAYING and self.admission.status(self)[0] != "live":
                self.state = RunState.QUEUED
                self._resume_state = RunState.PAUSED if self.history.n_steps else RunState.READY
                self._stop_clock()
                self._version += 1

    def _start_playing(self):
        self.state = RunState.PLAYING
        self._play_started = time.monotonic()
        self._restart_pace()
        self._submit_if_due()

    def pause(self, wait: float = 0.25, at_step: int | None = None, at_epoch: int | None = None):
        """Stop queueing slices; a queued run leaves the queue. A slice under way (at most ``slice_seconds()``
        of training) is waited for, up to ``wait`` seconds, and kept; one that is not back by then (a busy
        machine) is dropped — its worker's copy of the trainer is discarded, and the run stays where its
        last merged slice left it. Either way the epoch a snapshot shows right after a pause is where the
        run stopped, and it does not move on afterwards (a slice merged after a "paused" page would).

        ``at_step``: the step the page showed when Pause was pressed. The run goes back to that state if a
        page drew it lately (``DRAWN_STATES``), so that it holds where the class saw it, not where the server
        had got to by the time the click arrived — which, under load, is up to a redraw interval (a second)
        and the click's own delay later. ``at_epoch``: the epoch the page's headline showed. A page updates its
        elements one by one, so the step's caption can still be a frame behind the headline; then the run holds
        at the latest drawn state of the headline's epoch (the number the class reads)."""
        if at_step is not None:
            with self._lock:
                if self.state == RunState.PLAYING:
                    self.state = RunState.PAUSED
                    self._stop_clock()
                    self.admission.withdraw(self)
                if self.state == RunState.PAUSED:
                    self._rewind(at_step, at_epoch)
                    return
        with self._lock:
            if self.state == RunState.QUEUED:
                self.state = self._resume_state
                self.admission.withdraw(self)
                self._version += 1
                return
            if self.state != RunState.PLAYING:
                return
            self.state = RunState.PAUSED
            self._stop_clock()
            self.admission.withdraw(self)
            future = self._future
        if future is None:
            return
        if future.cancel():  # still waiting for a worker: it never trains (a Train-Reset loop left workers busy)
            with self._lock:
                if self._future is future:
                    self._future = None
            return
        try:
            future.result(timeout=wait)
        except Exception:  # noqa: BLE001 - a failure is recorded by _merge; a timeout drops the slice
            if not future.done():
                with self._lock:
                    if self._future is future and self.state == RunState.PAUSED:
                        self._future = None  # _merge ignores it when it comes back; the history is unchanged
                return
        self._merge(future)

    def _rewind(self, step: int, epoch: int | None = None):
        """Under the lock, paused: go back to the drawn state at ``step`` — or, when that state is not of ``epoch``,
        to the latest drawn state that is (if it is still kept and behind the run); whatever was trained since,
        and a slice under way, are dropped — Train trains them again the same way."""
        drawn = [t for t in reversed(self._shown) if epoch is None or t.epoch == epoch]
        shown = next((t for t in drawn if t.step == step), drawn[0] if epoch is not None and drawn else None)
        if shown is None or shown.step >= self._trainer.step:
            return
        self._future = None  # _merge ignores a slice that comes back later
        self._trainer = copy.deepcopy(shown)  # (no data attached: a few KB) the kept one stays as it was
        self.history.truncate(shown.step)
        self._apply_wanted()

    def change(self, what: str, value):
        """Change the learning rate (or another of ``nnviz.core.training.CHANGEABLE``) from the next step on,
        without a new run. A slice under way trains on with the old value; the change takes effect when it
        comes back. The trainer records it in its schedule (``Snapshot.schedule``), so a link can replay it.

        Raises ``ValueError`` for a value the setting cannot take."""
        value = check_change_value(what, value)
        with self._lock:
            self._wanted[what] = value
            if self._future is None:
                self._apply_wanted()

    def edit(self, param: str, i: int, j: int, value) -> float:
        """Set one weight (``W2``, row ``i``, column ``j``; a bias ``b1`` with j = 0) of a run that is not training
        (ready or paused): it goes on from the edited network, and its schedule records the edit (a chart marks it,
        a link replays it). Returns the value it had.

        Raises ``ValueError`` for a run under way, an entry the network does not have, or a value it cannot take."""
        with self._lock:
            if self._future is not None or self.state not in (RunState.READY, RunState.PAUSED):
                raise ValueError("pause the run before editing a weight")
            before = len(self._trainer.schedule)
            self._trainer.set_weight(param, i, j, value)
            self._version += 1
            changed = self._trainer.schedule[before:]
            return changed[0].old if changed else float(value)  # (the same value again records nothing)

    def wanted(self, what: str, default=None):
        """The last value ``change`` asked for ``what`` (``default`` if none)."""
        with self._lock:
            return self._wanted.get(what, default)

    def _apply_wanted(self):
        """Under the lock, with no slice under way: bring the trainer to the values ``change`` asked for (also
        after a slice came back or a rewind, whose trainer may predate the change)."""
        trainer = self._trainer
        for what, value in self._wanted.items():
            if trainer.current(what) != value:
                if what == "lr":
                    trainer.set_lr(value)
                elif what == "optimizer":
                    trainer.set_optimizer(value)
                elif what == "regularization":
                    trainer.set_regularization(value)
                else:
                    trainer.set_regularization(trainer.current("regularization"), value)
        self._version += 1

    def step_epoch(self, timeout: float = 120.0):
        """Train to the end of the current epoch, and wait for it (a start too: see ``play``)."""
        with self._lock:
            if self.state not in (RunState.READY, RunState.PAUSED) or self._future is not None or not self._may_start():
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
        """A queued run starts when admitted. A run that lost its place because its page was silent (a
        closed tab, or a server too busy to hear from it in time) asks again now that its page polls: a
        queued one takes back the place its arrival earned, a playing one queues if the server is full."""
        if self.state not in (RunState.QUEUED, RunState.PLAYING):
            return
        status, ahead = self.admission.status(self)
        if status in ("dropped", "none"):
            status = "live" if self._request() else "queued"
            ahead = self.admission.status(self)[1]
        if self.state == RunState.QUEUED and status == "live":
            self._start_playing()
        elif status == "queued":
            self.admission.heartbeat(self)  # its page is still here: it keeps its place however long it waits
            if self.state == RunState.PLAYING:
                self.state = RunState.QUEUED
                self._stop_clock()
            if ahead != self._queued_ahead:
                self._queued_ahead = ahead
                self._version += 1
        else:
            self.admission.heartbeat(self)

    @property
    def busy(self) -> bool:
        return self._future is not None

    @property
    def active(self) -> bool:
        """Still wants drawing updates: playing, queued, or a slice still under way."""
        return self.state in (RunState.PLAYING, RunState.QUEUED) or self._future is not None

    # --- internals

    def _request(self) -> bool:
        return self.admission.request(self, client=self.owner.client or None, alive=self.owner.connected)

    def _touch(self):
        self._last_poll = time.monotonic()

    def _submit_if_due(self):
        if (self.state == RunState.PLAYING and self._future is None
                and time.monotonic() >= self._next_at
                and time.monotonic() - self._last_poll < IDLE_SECONDS
                and self.owner.connected()):  # a closed tab's run trains no further slice
            self._submit(seconds=slice_seconds(), epochs=self._paced_epochs())

    def _paced_epochs(self) -> int | None:
        """Epochs for the next slice so that the run keeps its pace on average: what the timeline since
        the pace was set asks for by the end of the next slice, minus what is done (overheads between
        slices are caught up instead of adding up)."""
        if not self._pace:
            return None
        started, epoch0 = self._pace_origin
        due = (time.monotonic() - started + SLICE_SECONDS) * self._pace
        behind = int(due) - (self._trainer.epoch - epoch0)
        per_slice = max(1, int(round(self._pace * SLICE_SECONDS)))
        return max(1, min(behind, 4 * per_slice))

    def _submit(self, seconds, epochs) -> Future:
        self._slice_epochs = epochs
        self._slice_seconds = seconds
        try:
            starting = getattr(self.executor, "starting", None)  # (a test's own executor may not say)
            if starting is not None and starting():
                # A fresh server whose workers are still starting: this slice trains here, in a thread, on a
                # copy (as a worker would), so the first Train shows its first epoch at once, not a worker's start
                # later (docs/decisions/training-workers.md).
                future = _MEANWHILE.submit(_train_slice, copy.deepcopy(self._trainer), self.ref, seconds, epochs)
            else:
                future = self.executor.submit(_train_slice, self._trainer, self.ref, seconds, epochs)
        except Exception as err:  # noqa: BLE001 - e.g. no new worker could start: reported by _merge
            future = Future()
            future.set_exception(err)
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
            if future.cancelled():  # a pause took it back before a worker started it: nothing happened
                return
            try:
                trainer, progress = future.result()
            except Exception as err:  # noqa: BLE001 - a failed slice must not kill the page
                self._recover(err)
                return
            self._losses = 0
            self._trainer = trainer
            self.history.extend(progress)
            self._apply_wanted()
            if trainer.stop is not None:
                self.state = RunState(trainer.stop.kind)
                self.message = trainer.stop.message
                self._stop_clock()
                self.admission.withdraw(self)
                return
            if self._pace and self._slice_epochs:
                # the next slice starts when the timeline has reached the epochs done so far
                started, epoch0 = self._pace_origin
                self._next_at = started + (trainer.epoch - epoch0) / self._pace
            if self.executor.chains and self.state == RunState.PLAYING:
                delay = self._next_at - time.monotonic()
                if delay > 0:
                    timer = threading.Timer(delay, self._submit_later)
                    timer.daemon = True
                    timer.start()
                else:
                    self._submit_if_due()

    def _recover(self, err: Exception):
        """A slice failed. Its trainer (weights, position, random state) is still here, as of the last
        slice: if the worker died or the upload's stored copy vanished, train the same slice again."""
        self._losses += 1
        retry = isinstance(err, (BrokenProcessPool, UploadMissing)) and self._losses <= WORKER_LOSSES
        if retry and isinstance(err, UploadMissing):
            try:
                restore(self.ref)
            except (UploadMissing, StoreError) as lost:
                retry, err = False, lost
        if retry and (self.state == RunState.PLAYING or self._slice_seconds is None):  # playing, or a Step
            self.message = "a training process stopped; the run went on from its last slice"
            args = (self._slice_seconds, self._slice_epochs)
            timer = threading.Timer(0.05 * self._losses, self._resubmit, args)
            timer.daemon = True
            timer.start()
            return
        if retry:
            return  # paused meanwhile: nothing was lost, Train resumes it
        self.state = RunState.FAILED
        if isinstance(err, BrokenProcessPool):
            self.message = (f"training stopped: its process stopped {self._losses} times in a row "
                            "(perhaps out of memory)")
        elif isinstance(err, (UploadMissing, StoreError)):
            self.message = f"training stopped: {err}"
        else:  # the type says what happened; the message could name server paths
            self.message = f"training stopped: an unexpected {type(err).__name__} in the training process"
        self._stop_clock()
        self.admission.withdraw(self)
        self._version += 1

    def _resubmit(self, seconds, epochs):
        with self._lock:
            if self._future is not None:
                return
            if self.state == RunState.PLAYING:
                self._submit_if_due()
            elif seconds is None and self.state in (RunState.READY, RunState.PAUSED):  # a Step that lost its worker
                self._submit(seconds=seconds, epochs=epochs)

    def _stop_clock(self):
        if self._play_started is not None:
            self._wall += time.monotonic() - self._play_started
            self._play_started = None

    def _submit_later(self):
        with self._lock:
            self._submit_if_due()

    def _keep_shown(self):
        """Under the lock: keep the trainer a page is about to draw (once per state), for ``pause(at_step=…)``. A
        worker sends back a new trainer each slice; an inline slice trains this one in place, so it is copied
        (without its data)."""
        if self._shown and self._shown[-1].step == self._trainer.step:
            return
        inline = getattr(self.executor, "workers", 0) == 0
        self._shown.append(self._trainer.detached() if inline else self._trainer)

    def _snapshot(self) -> Snapshot:
        if self.state in (RunState.PLAYING, RunState.QUEUED):
            self._keep_shown()
        h = self.history
        if self._drawn is None or self._drawn[0] != self._version:  # the history changes only with the version
            self._drawn = (self._version, tuple(h.epochs), h.batch_steps, h.batch_losses)
        _, epochs, batch_steps, batch_losses = self._drawn
        return Snapshot(
            state=self.state, epochs=epochs, batch_steps=batch_steps, batch_losses=batch_losses,
            step=self._trainer.step, epoch=self._trainer.epoch, steps_per_epoch=self._steps_per_epoch,
            message=self.message, model=self._trainer.model,
            wall_seconds=self._wall + (time.monotonic() - self._play_started if self._play_started else 0.0),
            queued_ahead=self._queued_ahead if self.state == RunState.QUEUED else 0,
            schedule=self._schedule(),
        )

    def _schedule(self) -> tuple[Change, ...]:
        """The trainer's changes as one tuple that stays the same object until they change (pages cache charts by
        the identity of what they draw)."""
        changes = self._trainer.schedule
        if len(changes) != len(self._changes) or tuple(changes) != self._changes:
            self._changes = tuple(changes)
        return self._changes
