"""How many runs the server can show live, and a first-come, first-served queue for the others.

Why: every playing run costs the Streamlit server a chart redraw about once a second, and the
server is one process with one GIL: too many runs at once freeze every chart (docs/decisions/live-run-admission.md).
Training throughput does not need that many runs at once — the worker pool is busy as soon as
there are as many runs as workers — so beyond what the server can draw smoothly a run waits in
a visible queue and starts by itself when a place frees up.

The capacity is not a constant. It follows what the server measures about itself (``LoadMeter``):

- ``cpu_share``: the CPU time the server process used over the last window, as a share of one
  core (one process, one GIL: one core is its ceiling whatever the machine has);
- ``lag``: how late a thread of the server wakes up when it asks to (its 90th percentile over
  the window) — the wait every request of a newcomer also has, whether the GIL is busy or the
  machine's cores are taken by training workers or anything else;
- and, from the live pages themselves, how long apart their polls reach the server (the 90th
  percentile over the last few seconds): a page whose chart should update every second but is heard
  from every 3 s is served late, whatever the sensors say (the event loop can fall behind while the sensor
  thread still wakes up on time).

Each ``period`` the controller looks at all three. While the server is late (``lag > max_lag`` or live
pages heard from more than ``max_gap`` s apart) it
admits no one and lowers the capacity toward what is live. While it is on time and the queue is
waiting, it grows the capacity toward ``live × target_share / cpu_share`` (the number of live
runs that would use ``target_share`` of the core at the measured cost per run), at most ×1.5 per
period, so a crowd is let in over a few seconds, never all at once. The capacity never drops below
``floor`` — two runs per training worker (``RUNS_PER_WORKER``) — so queueing never leaves a worker idle
while the server sends a run its next slice: the class's total throughput is the pool's either way.

On 4 or 16 cores: the pool has 4 or 16 workers, so the floor and the training throughput grow with
the cores; the server's own ceiling stays one core (its GIL), but with more cores the workers no
longer compete with it for CPU, so its lag stays low and its measured cost per run gives the
capacity; a faster core draws each chart faster and admits more runs. Scaling past one core of
drawing is scaling out (several servers behind a load balancer, see the README).

Places are shared per client, not per tab (``nnviz.serving.identity``): the queue goes round by round — a client's
first waiting run before anyone's second — and while others wait, a client holding more than its share of the
places (``capacity / clients``) gives its newest ones back to the queue, so thirty tabs of one visitor take one
visitor's share. A place is freed by a page that has gone, whatever the server's lateness: a run whose browser
session is no longer connected (the ``alive`` check its page passed, which follows Streamlit's session manager)
leaves its place at the controller's next look (every ``period``), and a page silent for ``hard_silence`` seconds
leaves it even while the server counts itself late — no state stops admission for longer than that.

No Streamlit here: the runner calls ``request``/``withdraw``/``heartbeat``/``status``; tests inject a
fake clock and a fake meter.
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass

ABANDON_SECONDS = 15.0  # a queued (or live) run whose page has not polled for this long loses its place
# ... and one silent this long loses it even while the server counts itself late (then silence usually means the
# server answers late, not that the student left; beyond a minute it is no longer worth a place nobody else gets)
HARD_SILENCE_SECONDS = 60.0
QUEUE_POLL_MAX = 30.0  # far back in a long queue a page asks for its place this often (see queue_poll_interval)
# Live runs never fewer than this per training worker: while one run's slice travels, the worker trains another's
# (measured: docs/decisions/training-workers.md).
RUNS_PER_WORKER = 2


@dataclass(frozen=True)
class Load:
    """The server's own measurements over the last window."""

    cpu_share: float  # CPU seconds of this process per wall second (1.0 = one core)
    lag: float  # seconds a thread of this process woke up late (90th percentile)


class LoadMeter:
    """Measures this process: its CPU share (``time.process_time``) and its wake-up lag (a sensor thread).

    The sensor sleeps ``tick`` seconds in a loop and records how much later than asked it runs
    again: time waiting for the GIL plus time waiting for a core.
    """

    def __init__(self, window: float = 3.0, tick: float = 0.05):
        self.window = window
        self.tick = tick
        self._lags: deque[tuple[float, float]] = deque()
        self._cpu: deque[tuple[float, float]] = deque()  # (wall, process CPU)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self):
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._sense, name="nnviz-load-meter", daemon=True)
                self._thread.start()

    def _sense(self):
        while True:
            t0 = time.monotonic()
            time.sleep(self.tick)
            now = time.monotonic()
            with self._lock:
                self._lags.append((now, max(0.0, now - t0 - self.tick)))
                self._cpu.append((now, time.process_time()))
                while self._lags and self._lags[0][0] < now - self.window:
                    self._lags.popleft()
                while len(self._cpu) > 1 and self._cpu[0][0] < now - self.window:
                    self._cpu.popleft()

    def read(self) -> Load | None:
        """The last window's load, or None until the sensor has a window's worth."""
        with self._lock:
            if len(self._cpu) < 2 or self._cpu[-1][0] - self._cpu[0][0] < self.window / 2:
                return None
            (w0, c0), (w1, c1) = self._cpu[0], self._cpu[-1]
            lags = sorted(lag for _, lag in self._lags)
        return Load(cpu_share=(c1 - c0) / (w1 - w0), lag=lags[int(0.9 * (len(lags) - 1))])


class Admission:
    """Live places for runs, and a queue for the rest.

    Parameters
    ----------
    floor : int
        Never fewer live places than this (the number of training workers).
    meter : object with ``read() -> Load | None``
        The server's load; ``LoadMeter`` in the app, a fake in tests.
    clock : callable
        Seconds, monotonic (injectable for tests).
    initial : int, optional
        Live places before the first measurement; defaults to ``2 * floor``.
    target_share, max_lag, period, abandon_after : float
        The share of the server's core that live charts may use, the wake-up lag beyond which the
        server counts as late, how often the capacity is revised, and how long a run whose page
        stopped polling keeps its place at least (longer when the server hears from every page late:
        ``abandon_time``).
    hard_silence : float
        A page silent this long loses its place even while the server is late.
    """

    def __init__(self, floor: int, meter, clock: Callable[[], float] = time.monotonic, initial: int | None = None,
                 target_share: float = 0.4, max_lag: float = 0.1, period: float = 1.0,
                 abandon_after: float = ABANDON_SECONDS, max_gap: float = 2.0,
                 hard_silence: float = HARD_SILENCE_SECONDS):
        if floor < 1:
            raise ValueError(f"floor must be at least 1, got {floor!r}")
        self.floor = floor
        self.meter = meter
        self.clock = clock
        self.capacity = max(floor, initial if initial is not None else 2 * floor)
        self.target_share = target_share
        self.max_lag = max_lag
        self.max_gap = max_gap
        self._live_gaps: deque[tuple[float, float]] = deque(maxlen=400)  # (when, seconds since that page's last poll)
        self._is_late = False
        self.period = period
        self.abandon_after = abandon_after
        self.hard_silence = hard_silence
        self._live: dict[Hashable, float] = {}  # key -> last heartbeat
        self._queue: dict[Hashable, float] = {}  # key -> last heartbeat (the order is ``_order()``'s)
        self._arrived: dict[Hashable, int] = {}  # live or queued key -> its arrival's number
        self._dropped: dict[Hashable, tuple[float, int]] = {}  # keys dropped (silent, or gone) -> (when, arrival)
        self._client: dict[Hashable, Hashable] = {}  # key -> its client (places are shared per client)
        self._alive: dict[Hashable, Callable[[], bool]] = {}  # key -> whether its page's session is connected
        self._admitted_at: dict[Hashable, int] = {}  # live key -> when it got its place (the newest give back first)
        self._order_cache: list[Hashable] | None = None  # the queue in the order places go; None: to compute
        # a page told to poll slowly (far back in the queue) is not silent until 3 of its polls are missed
        self._patience: dict[Hashable, float] = {}
        self._admitted: list[Hashable] = []  # moved from the queue to a live place, not yet told
        self._evicted: list[Hashable] = []  # live runs dropped for silence, not yet told
        self._arrivals = itertools.count()
        self._gaps: deque[float] = deque(maxlen=200)  # seconds between a live page's polls, as the server received them
        self._revised = clock()
        self._lock = threading.RLock()

    # --- what a run calls

    def request(self, key: Hashable, client: Hashable = None, alive: Callable[[], bool] | None = None) -> bool:
        """Ask for a live place: True if ``key`` is live now (at once, or already), else it is queued.

        ``client``: who asks (places are shared per client; default: the key is a client of its own); ``alive``:
        whether the page's session is still connected (a run whose session has gone frees its place)."""
        with self._lock:
            now = self.clock()
            if client is not None or key not in self._client:
                self._client[key] = key if client is None else client
                self._order_cache = None
            if alive is not None:
                self._alive[key] = alive
            if key in self._live:
                self._live[key] = now
                return True
            dropped = self._dropped.pop(key, None)
            if dropped is not None:
                self._rejoin(key, arrived=dropped[1], now=now)
            elif key not in self._queue:
                self._patience[key] = 3 * queue_poll_interval(len(self._queue))
                self._queue[key] = now
                self._arrived[key] = next(self._arrivals)
                self._order_cache = None
            self._update(now)
            live = key in self._live
        self._tell_runs()
        return live

    def _rejoin(self, key: Hashable, arrived: int, now: float):
        """A dropped run whose page is heard from again takes back the place its arrival earned: behind
        everyone who came before it, ahead of everyone who came after. Under overload the server answers
        every page late, and a page it dropped for silence is very much still there (a student pressed
        Train once; sending them back to "Ready" would lose the run)."""
        self._queue[key] = now
        self._arrived[key] = arrived
        self._order_cache = None
        self._patience[key] = 3 * queue_poll_interval(self._order().index(key))

    def withdraw(self, key: Hashable):
        """Leave the queue, or give a live place back (paused, reset, finished, failed)."""
        with self._lock:
            self._live.pop(key, None)
            self._queue.pop(key, None)
            self._dropped.pop(key, None)
            self._forget(key)
            self._update(self.clock())
        self._tell_runs()

    def _forget(self, key: Hashable):
        """Everything kept about ``key`` beyond the tables it is in (a dropped key keeps its arrival)."""
        for table in (self._arrived, self._patience, self._client, self._alive, self._admitted_at):
            table.pop(key, None)
        self._order_cache = None

    def heartbeat(self, key: Hashable):
        """The run's page is still polling."""
        with self._lock:
            now = self.clock()
            if key in self._live:
                if key not in self._patience:  # a page that polls as live pages do (not one just out of the queue)
                    self._gaps.append(now - self._live[key])
                    self._live_gaps.append((now, now - self._live[key]))
                self._live[key] = now
                self._patience.pop(key, None)  # its page now polls as a live page does
            elif key in self._queue:
                self._queue[key] = now  # a queued page's slow polls are judged by its own patience
            self._update(now)
        self._tell_runs()

    def abandon_time(self) -> float:
        """How long a page may be silent before its run loses its place: ``abandon_after``, or longer when the
        server itself hears from pages less often — an overloaded server answers every page's polls late, and
        that is no sign that a student left (3× the median gap between the live pages' polls it received lately).
        Queued pages are told to poll slowly (up to every 30 s far back) and are judged by that (their patience):
        their gaps are left out, or a crowd in the queue would let a closed live tab keep its place for minutes."""
        if len(self._gaps) < 5:
            return self.abandon_after
        return max(self.abandon_after, 3 * statistics.median(self._gaps))

    def status(self, key: Hashable) -> tuple[str, int]:
        """``("live", 0)``, ``("queued", runs ahead)``, ``("dropped", 0)`` or ``("none", 0)``."""
        with self._lock:
            self._update(self.clock())
            if key in self._live:
                answer = "live", 0
            elif key in self._queue:
                answer = "queued", self._order().index(key)
            elif key in self._dropped:
                answer = "dropped", 0
            else:
                answer = "none", 0
        self._tell_runs()
        return answer

    def clear(self):
        """Forget every live and queued run, as a fresh server would."""
        with self._lock:
            self._live.clear()
            self._queue.clear()
            self._arrived.clear()
            self._dropped.clear()
            self._patience.clear()
            self._client.clear()
            self._alive.clear()
            self._admitted_at.clear()
            self._order_cache = None
            self._admitted.clear()
            self._evicted.clear()
            self.capacity = max(self.floor, 2 * self.floor)
            self._live_gaps.clear()
            self._is_late = False

    # --- what a page shows

    @property
    def live(self) -> int:
        return len(self._live)

    @property
    def queued(self) -> int:
        return len(self._queue)

    # --- the controller

    def _update(self, now: float):
        """Once a period: drop runs whose pages have gone (their session closed, or silent), revise the capacity
        and share the places per client. Always: admit in the queue's order."""
        if now - self._revised >= self.period:
            self._revised = now
            for table in (self._live, self._queue):  # a session that has gone frees its place at once
                for key in list(table):
                    alive = self._alive.get(key)
                    if alive is not None and not _connected(alive):
                        self._drop(table, key, now)
            abandon = self.abandon_time()
            # While the server itself is late, a silent page is no sign that a student left: it is the server
            # that answers late. Dropping live runs then let queued ones in while the dropped ones still
            # trained — more runs live than the capacity, a server later still.
            # Beyond ``hard_silence`` a page loses its place anyway: silent pages must not keep the server
            # "late" (their silence counts as lateness) and so keep their places, and everyone else out, for good.
            late = self._late()
            for table in (self._live, self._queue):
                for key, seen in list(table.items()):
                    patience = self._patience.get(key, 0.0)
                    if now - seen > max(abandon, patience) and (not late or now - seen > max(self.hard_silence,
                                                                                              patience)):
                        self._drop(table, key, now)
            for key, (when, _) in list(self._dropped.items()):  # a page that never came back is forgotten
                if now - when > 4 * self.abandon_after:
                    del self._dropped[key]
                    self._forget(key)
            self._revise()
            self._share_places()
        while self._queue and (len(self._live) < self.floor
                               or (len(self._live) < self.capacity and not self._late())):
            key = self._order()[0]
            seen = self._queue.pop(key)
            self._live[key] = seen  # its patience comes along: its page may poll slowly until it hears
            self._admitted_at[key] = next(self._arrivals)
            self._order_cache = None
            self._admitted.append(key)

    def _drop(self, table: dict, key: Hashable, now: float):
        """Take ``key``'s place (live or queued) away; it keeps its arrival, and takes back that place if its page is
        heard from again (``request``). A live run is told, so that it stops training."""
        del table[key]
        self._patience.pop(key, None)
        self._admitted_at.pop(key, None)
        self._dropped[key] = (now, self._arrived.get(key, next(self._arrivals)))
        self._order_cache = None
        if table is self._live:
            self._evicted.append(key)

    def _order(self) -> list[Hashable]:
        """The queue in the order places go: round by round per client — each client's next run counts the places
        that client holds already — and by arrival within a round. One client's thirty tabs wait behind every
        other client's first run."""
        if self._order_cache is None:
            holding = Counter(self._client.get(k, k) for k in self._live)
            rank: Counter = Counter()
            rounds = []
            for key in sorted(self._queue, key=self._arrived.__getitem__):
                client = self._client.get(key, key)
                rounds.append((holding[client] + rank[client], self._arrived[key], key))
                rank[client] += 1
            self._order_cache = [key for *_, key in sorted(rounds, key=lambda r: r[:2])]
        return self._order_cache

    def _share_places(self):
        """While runs wait, no client holds more than its share of the places (``capacity / clients``, at least
        one): the newest places of the clients most over their share go back to the queue, as many as the waiting
        clients below their share would take and the free places do not cover. A run sent back is told (it stops
        training) and keeps its arrival."""
        if not self._queue:
            return
        clients = {self._client.get(k, k) for k in itertools.chain(self._live, self._queue)}
        share = max(1, self.capacity // len(clients))
        holding = Counter(self._client.get(k, k) for k in self._live)
        waiting = Counter(self._client.get(k, k) for k in self._queue)
        wanted = sum(min(share - holding[c], n) for c, n in waiting.items() if holding[c] < share)
        free = max(0, (self.floor if self._late() else self.capacity) - len(self._live))
        need = wanted - free
        while need > 0:
            client, held = max(holding.items(), key=lambda kv: kv[1], default=(None, 0))
            if held <= share:
                return
            key = max((k for k in self._live if self._client.get(k, k) == client), key=self._admitted_at.get)
            self._queue[key] = self._live.pop(key)
            self._admitted_at.pop(key, None)
            # its page learns of it at its next poll, then polls as far back in the queue as it is
            self._patience[key] = 3 * queue_poll_interval(len(self._queue))
            self._evicted.append(key)
            self._order_cache = None
            holding[client] -= 1
            need -= 1

    def _tell_runs(self):
        """Tell runs that left the queue, and live runs dropped for silence, each on a thread of its own and
        without this lock held (a run asks the admission under its own lock): a run admitted starts at once
        rather than at its page's next poll (far back in a long queue ``QUEUE_POLL_MAX`` s away), and a run
        dropped stops training — so that the runs training are never more than the live places."""
        with self._lock:
            told = [(key, "admitted") for key in self._admitted] + [(key, "evicted") for key in self._evicted]
            self._admitted, self._evicted = [], []
        for key, what in told:
            tell = getattr(key, what, None)
            if tell is not None:
                threading.Thread(target=tell, name=f"nnviz-{what}", daemon=True).start()

    def _late(self) -> bool:
        return self._is_late

    def _pages_served_late(self, now: float) -> bool:
        """The live pages' polls, as the server received them over the last 5 s, and the silence of every live page
        since its last poll: 90 % of them within ``max_gap`` — or not."""
        gaps = [gap for when, gap in self._live_gaps if now - when <= 5.0]
        # A live page not heard from since: its silence so far is a gap at least that long. A swamped server
        # hears from no one, and gaps it never received must count (docs/decisions/live-run-admission.md).
        gaps = sorted(gaps + [now - seen for key, seen in self._live.items() if key not in self._patience])
        return len(gaps) >= 5 and gaps[int(0.9 * (len(gaps) - 1))] > self.max_gap

    def _revise(self):
        load = self.meter.read()
        live = len(self._live)
        self._is_late = live > 0 and ((load is not None and load.lag > self.max_lag)
                                      or self._pages_served_late(self.clock()))
        if not live or (load is None and not self._is_late):
            return
        if self._is_late:
            # late: no one new, and the capacity shrinks toward what the server is coping with
            self.capacity = max(self.floor, min(self.capacity, int(live * 0.9)))
            return
        per_run = load.cpu_share / live  # everything the server does, charged to the live runs
        fits = int(self.target_share / per_run + 1e-9) if per_run > 0 else 2 * self.capacity
        if fits < self.capacity:
            self.capacity = max(self.floor, fits)
        elif self._queue and live >= self.capacity and not self._settling():
            self.capacity = min(fits, int(self.capacity * 1.5) + 1)

    def _settling(self) -> bool:
        """Runs let in whose pages have not polled as live pages yet: what they cost is not measured yet, so the
        capacity does not grow on their account (a run far back in a queue hears of its place up to 30 s
        later, and growing meanwhile would let a crowd in before the first of them cost anything)."""
        return any(key in self._patience for key in self._live)


def _connected(alive: Callable[[], bool]) -> bool:
    try:
        return bool(alive())
    except Exception:  # noqa: BLE001 - a broken check must not drop anyone
        return True


_ADMISSION: Admission | None = None
_ADMISSION_LOCK = threading.Lock()


def get_admission(workers: int) -> Admission:
    """The process-wide admission, with two runs per worker (``workers`` at least 1) as its floor; starts its
    load meter."""
    global _ADMISSION
    with _ADMISSION_LOCK:
        if _ADMISSION is None:
            meter = LoadMeter()
            meter.start()
            _ADMISSION = Admission(RUNS_PER_WORKER * max(1, workers), meter)
        return _ADMISSION


def reset_admission():
    """Empty the process-wide admission (tests that open many sessions one after another in one process,
    whose earlier runs would otherwise hold places until their silence is noticed)."""
    with _ADMISSION_LOCK:
        if _ADMISSION is not None:
            _ADMISSION.clear()


def queue_poll_interval(ahead: int) -> float:
    """Seconds between a queued page's polls: every 2 s at the head of the queue, 1 s slower per 3 runs
    ahead, at most every ``QUEUE_POLL_MAX`` seconds. Hundreds of queued pages polling fast would cost the
    server what the queue saves it (docs/decisions/live-run-admission.md). A run starts as soon as it is
    admitted, whenever its page polls next (``Admission`` tells it); its page shows the change at that poll."""
    return min(QUEUE_POLL_MAX, 2.0 + max(ahead, 0) / 3)


def queue_message(ahead: int) -> str:
    """What a queued run's page says."""
    if ahead <= 0:
        where = "next to start"
    else:
        where = f"{ahead} run{'s' if ahead != 1 else ''} ahead"
    return (f"Queued: {where}. The server is showing as many live runs as it can keep smooth; this one "
            "starts by itself when a place frees up (Pause leaves the queue).")
