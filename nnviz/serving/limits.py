"""Rate limits on what a click costs the server, per browser session and per client.

Every run a click starts sends a slice of training to a worker at once, and a worker cannot be stopped halfway:
tabs pressing Train and Reset in a loop would keep the workers busy with slices nobody sees
(docs/decisions/run-start-limits.md).
Starts are counted in token buckets kept by the process — never in a page's state or a Streamlit cache, which a
client can reset (``clear_cache``).

Nothing here imports Streamlit; a ``Run`` (``nnviz.serving.runner``) asks with its owner's session and client.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable


class Buckets:
    """A token bucket per key: ``burst`` at once, then ``rate`` a second. Thread-safe; remembers at most ``keys``
    keys (the least recently used are forgotten, as full buckets)."""

    def __init__(self, rate: float, burst: float, keys: int = 10_000, clock: Callable[[], float] = time.monotonic):
        if rate <= 0 or burst < 1:
            raise ValueError(f"a bucket needs a rate > 0 and a burst >= 1, got {rate!r}, {burst!r}")
        self.rate, self.burst, self.keys, self.clock = rate, burst, keys, clock
        self._level: OrderedDict[Hashable, tuple[float, float]] = OrderedDict()  # key -> (tokens, when)
        self._lock = threading.Lock()

    def _tokens(self, key: Hashable, now: float) -> float:
        tokens, when = self._level.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - when) * self.rate)

    def wait(self, key: Hashable) -> float:
        """Seconds until ``key`` may take a token (0: it may now)."""
        with self._lock:
            return max(0.0, (1 - self._tokens(key, self.clock())) / self.rate)

    def take(self, key: Hashable):
        with self._lock:
            now = self.clock()
            self._level[key] = (self._tokens(key, now) - 1, now)
            self._level.move_to_end(key)
            while len(self._level) > self.keys:
                self._level.popitem(last=False)


class StartLimits:
    """Runs started (Train, Step, a recipe, a setting changed while playing) per session and per client. A session
    may start four at once, then one every two seconds — more than a student clicks; a client — a lecture hall
    behind one school address, pressing Train together — three hundred at once, then ten a second."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.session = Buckets(rate=0.5, burst=4, clock=clock)
        self.client = Buckets(rate=10.0, burst=300, clock=clock)
        self._lock = threading.Lock()

    def start(self, session: str, client: str) -> float:
        """Take a start for ``session`` of ``client``: 0 if it may start now, else the seconds to wait (nothing
        is taken then)."""
        with self._lock:
            wait = max(self.session.wait(session), self.client.wait(client))
            if wait == 0:
                self.session.take(session)
                self.client.take(client)
            return wait


STARTS = StartLimits()
