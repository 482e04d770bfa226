"""Who is asking: one identity per client (the address the deployment's own proxies saw), and per browser tab.

Every per-client limit of the app — unknown room codes, rooms opened, runs shared, live places, the Keras queue,
uploads — counts by ``client_address``. A client writes its own ``X-Forwarded-For`` lines, so none of them is
trusted: the deployment says how many proxies it puts in front of the app (``NNVIZ_TRUSTED_PROXIES``), each of
which appends the address it saw to the header, and the client is the address the outermost of them saw — the
``N``-th entry from the end. ``0`` (the default) means no proxy: the socket's peer is the client. A request that
carries fewer entries than the deployment's proxies add did not come through them (someone reached the app
directly) and is judged by its socket's peer, as Werkzeug's ``ProxyFix`` does.

Behind a school's NAT a whole class is one client: per-client limits are sized for a class (see ``nnviz.board.store``),
and no limit refuses what exists (a valid room code is never refused).

Nothing here imports Streamlit: ``ui.identity`` reads the socket's peer and the headers and calls this.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

TRUSTED_PROXIES_ENV = "NNVIZ_TRUSTED_PROXIES"
LOCAL = "local"  # the client of a connection from this machine's own address
LOOPBACK = ("127.0.0.1", "::1")  # (Streamlit's st.context reports none for these; other 127.x addresses are kept)
MAX_ADDRESS = 64


def trusted_proxies(environ=None) -> int:
    """``NNVIZ_TRUSTED_PROXIES`` as a count (default 0). Raises ``ValueError`` naming a bad value: a deployment
    that mistypes it must not start trusting what clients write."""
    raw = (os.environ if environ is None else environ).get(TRUSTED_PROXIES_ENV, "").strip()
    if not raw:
        return 0
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"{TRUSTED_PROXIES_ENV} must be a whole number of proxies (0 = none), got {raw!r}") from None
    if not 0 <= n <= 10:
        raise ValueError(f"{TRUSTED_PROXIES_ENV} must be between 0 and 10, got {n}")
    return n


def forwarded_hops(lines: Iterable[str]) -> list[str]:
    """Every ``X-Forwarded-For`` entry, in order, from every line of the header (a proxy may append a line of its
    own rather than extend the last one)."""
    hops = []
    for line in lines:
        if isinstance(line, str):
            hops += [h.strip() for h in line.split(",") if h.strip()]
    return hops


def client_address(peer: str | None, forwarded_for: Iterable[str] = (), trusted: int = 0) -> str:
    """The client's address: with ``trusted`` proxies in front, the entry the outermost of them appended (the
    ``trusted``-th from the end); with none, or when the request did not pass through them all, ``peer``.

    ``peer`` is the socket's peer (None for a connection from this machine, as Streamlit reports it)."""
    if trusted > 0:
        hops = forwarded_hops(forwarded_for)
        if len(hops) >= trusted:
            return hops[-trusted][:MAX_ADDRESS]
    return (LOCAL if not peer or peer in LOOPBACK else peer)[:MAX_ADDRESS]


def _always() -> bool:
    return True


@dataclass(frozen=True)
class Owner:
    """Who a run or a job belongs to: the client (``client_address``) and the browser session, and whether that
    session is still connected (``alive``; a closed tab's session is not)."""

    client: str = ""
    session: str = ""
    alive: Callable[[], bool] = field(default=_always, compare=False, repr=False)

    def connected(self) -> bool:
        try:
            return bool(self.alive())
        except Exception:  # noqa: BLE001 - a broken check must not drop anyone
            return True


NOBODY = Owner()
