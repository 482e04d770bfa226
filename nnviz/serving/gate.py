"""Turns for the page scripts of one server process: a few run at a time, the rest wait asleep, in order.

Streamlit runs every rerun of every session (a whole page, or one fragment) in a thread of its own, and all of
them share one interpreter lock with the server's event loop — the loop that accepts a new browser, sends it
the app's files and carries every message to every page. With hundreds of pages rerunning, hundreds of
threads ask for that lock at once and the loop gets one turn in hundreds: a new visitor waits for seconds
before anything is sent, and live charts stall behind the crowd (docs/decisions/page-gate.md).

The gate lets at most ``slots`` scripts run at a time. A thread that waits for its turn sleeps on its own
event (it takes no share of the lock), so the event loop, the training's result threads and the running
scripts share the interpreter with a handful of threads instead of hundreds. The wait is ordered, not
first come first served for everyone:

- ``FIRST``  a session's first page (a visitor arriving): never waits;
- ``LIVE``   a playing run's chart: the class is watching it;
- ``ACTION`` a whole page run after a click or a changed setting;
- ``POLL``   a queued run's countdown: it changes least.

Within a class, turns go in order of arrival.

Running fewer scripts at once does not make them send less. A click reruns the whole page — some seventy
elements, each a message (a Train press that queues its run: the trainer's panel alone, ~30) — and Streamlit's
send loop walks every session in turn, sending its messages one at a time and yielding to the event loop after
each, the newest session last. That loop needs the interpreter
lock for a moment per message, and each time it gives the lock up (a socket write, a poll) a running script
keeps it for up to the interpreter's switch interval (5 ms), so the loop sends several times slower while scripts
run. So a gate may be given ``backlog``, the number of messages the server has
yet to send: once it passes ``max_backlog``, no run is given a slot — live charts included — until the
backlog is down to ``resume_backlog``; the scripts already running finish, and the loop drains at full speed.
A visitor's first page still never waits. Runs held
back keep their place in line and their order.

One process has one interpreter lock whatever the number of
cores, so the number of slots is a property of the process, not of the machine: more cores mean more
processes (``make cluster``), each with its own gate. Nothing here knows about Streamlit; the pages
(``ui.common.gated``) pick the class of each run.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

FIRST, LIVE, ACTION, POLL = 0, 1, 2, 3

#: Scripts running at once: two, so that one waiting on a lock or a worker does not leave the interpreter idle,
#: and the event loop competes with as few threads as that allows (measured: docs/decisions/page-gate.md).
SLOTS = 2
#: Messages waiting to be sent above which no run is given a slot (a whole page is ~80-130 messages) ...
MAX_BACKLOG = 200
#: ... until this few are left (measured choices: docs/decisions/page-gate.md).
RESUME_BACKLOG = 40
#: A live chart held back by a draining backlog goes once it has waited this long (a class watches it).
LIVE_PATIENCE_S = 1.0
#: How often the gate looks at the backlog again while it holds runs back.
PACE_S = 0.05
#: A waiter that has not had its turn after this long runs anyway: a script stuck in its slot must not stop
#: the whole server (it never happens in the app; it bounds the damage if it ever does).
LONGEST_WAIT_S = 60.0


class Gate:
    """At most ``slots`` holders at a time; waiters get their turn by (class, arrival)."""

    def __init__(self, slots: int = SLOTS, longest_wait: float = LONGEST_WAIT_S,
                 clock: Callable[[], float] = time.monotonic, backlog: Callable[[], int | None] | None = None,
                 max_backlog: int = MAX_BACKLOG, resume_backlog: int = RESUME_BACKLOG, pace: float = PACE_S,
                 live_patience: float = LIVE_PATIENCE_S):
        if slots < 1:
            raise ValueError(f"a gate needs at least one slot, got {slots}")
        self.slots = slots
        if not 0 <= resume_backlog <= max_backlog:
            raise ValueError(f"resume_backlog must be between 0 and max_backlog, got {resume_backlog}")
        self.backlog, self.max_backlog, self.resume_backlog, self.pace = backlog, max_backlog, resume_backlog, pace
        self._backlog_read = (-1.0, 0)  # (when, value)
        self._draining = False  # passed max_backlog and not yet down to resume_backlog
        self.live_patience = live_patience
        self._pacing = False  # a pacer thread is looking at the backlog for held-back runs
        self.longest_wait = longest_wait
        self._clock = clock
        self._lock = threading.Lock()
        self._busy = 0
        self._waiting: list[tuple[int, int, float, threading.Event]] = []  # (class, arrival, when, wake-up)
        self._arrivals = itertools.count()
        self._mine = threading.local()  # a fragment drawn inside its page's run is already inside the gate

    @property
    def running(self) -> int:
        return self._busy

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    @contextmanager
    def turn(self, kind: int) -> Iterator[None]:
        """Hold a slot for the block; ``FIRST`` and a thread already inside the gate pass at once."""
        mine = self._mine
        if getattr(mine, "inside", False):
            yield
            return
        mine.granted = kind != FIRST and self._enter(kind)
        mine.kind, mine.inside = kind, True
        try:
            yield
        finally:
            mine.inside = False
            if mine.granted:
                mine.granted = False
                self._leave()

    @contextmanager
    def outside(self) -> Iterator[None]:
        """Step out of the gate for the block — a wait on something slow (a database) that needs no interpreter
        time — and take a turn again, of the same class, after it. Others run meanwhile: two pages waiting on a
        stalled database held both slots, and every live chart of the server stood still (59.5 s in a 60 s stall).
        Outside a turn, or in a turn that holds no slot (``FIRST``), it changes nothing."""
        mine = self._mine
        if not (getattr(mine, "inside", False) and getattr(mine, "granted", False)):
            yield
            return
        mine.granted = False
        self._leave()
        try:
            yield
        finally:
            mine.granted = self._enter(mine.kind)

    def _enter(self, kind: int) -> bool:
        ticket = (kind, next(self._arrivals), self._clock(), threading.Event())
        with self._lock:
            heapq.heappush(self._waiting, ticket)
            self._dispatch()
        if ticket[3].wait(self.longest_wait):
            return True  # a slot was handed over
        with self._lock:
            if ticket[3].is_set():  # handed over just as the wait ran out
                return True
            self._waiting.remove(ticket)
            heapq.heapify(self._waiting)
        return False  # ran out of patience: runs without a slot (and gives none back)

    def _leave(self):
        with self._lock:
            self._busy -= 1
            self._dispatch()

    def _dispatch(self):
        """Under the lock: hand free slots to the head of the line — unless the server is draining its backlog of
        messages to send; then the pacer looks again every ``pace`` s."""
        while self._busy < self.slots and self._waiting:
            kind, _, arrived, _ = self._waiting[0]
            if self._draining_backlog() and not (kind == LIVE and self._clock() - arrived >= self.live_patience):
                self._start_pacer()
                return
            self._busy += 1
            heapq.heappop(self._waiting)[3].set()

    def _draining_backlog(self) -> bool:
        """Under the lock: from the moment the backlog passes ``max_backlog`` until it is down to
        ``resume_backlog`` (one reading serves for ``pace`` s)."""
        if self.backlog is None:
            return False
        now = self._clock()
        when, value = self._backlog_read
        if now - when >= self.pace:
            value = self.backlog() or 0
            self._backlog_read = (now, value)
        if value > self.max_backlog:
            self._draining = True
        elif value <= self.resume_backlog:
            self._draining = False
        return self._draining

    def _start_pacer(self):
        if self._pacing:
            return
        self._pacing = True

        def pace():
            while True:
                time.sleep(self.pace)
                with self._lock:
                    self._dispatch()
                    if not (self._waiting and self._busy < self.slots):  # nothing held back any more
                        self._pacing = False
                        return

        threading.Thread(target=pace, name="nnviz-gate-pacer", daemon=True).start()


_GATE: Gate | None = None
_GATE_LOCK = threading.Lock()


def get_gate(backlog: Callable[[], int | None] | None = None) -> Gate:
    """The server process's one gate; ``backlog`` (the messages the server has yet to send) is taken at the
    first call."""
    global _GATE
    with _GATE_LOCK:
        if _GATE is None:
            _GATE = Gate(backlog=backlog)
        return _GATE
