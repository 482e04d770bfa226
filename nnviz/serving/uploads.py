"""How much of the server's memory uploaded files may take: per browser session, per client, and in all.

Streamlit keeps every file a browser PUTs to ``/_stcore/upload_file/<session>/<file id>`` in the server's memory
until the session ends, whether a page ever reads it or not; its only limit is the size of one file
(docs/decisions/upload-bounds.md). The app's pages
need at most a CSV and a digit image at a time, so the ledger below refuses what a session or a client would hold
beyond ``UploadLimits`` (the app answers the PUT with a 4xx), and forgets a session's files when the session ends.

Nothing here imports Streamlit: ``ui.server`` puts the ledger in front of Streamlit's upload manager.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

MB = 1024 * 1024


@dataclass(frozen=True)
class UploadLimits:
    """What uploaded files may hold: a tab needs a CSV and a digit image (5 MB each at most) and replaces them as
    it goes (the browser deletes a file it no longer shows); a client may be a class behind one school address;
    the total bounds the server's memory whatever the number of clients."""

    session_files: int = 4
    session_bytes: int = 12 * MB
    client_files: int = 40
    client_bytes: int = 100 * MB
    total_bytes: int = 400 * MB


class Refused(Exception):
    """An upload the ledger refuses: ``status`` is the HTTP status to answer with, the message says why."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


class UploadLedger:
    """Which session (and client) holds which stored file, and how many bytes. Thread-safe."""

    def __init__(self, limits: UploadLimits = UploadLimits()):
        self.limits = limits
        self._files: dict[tuple[str, str], tuple[str, int]] = {}  # (session, file id) -> (client, bytes)
        self._lock = threading.Lock()

    def admit(self, session: str, client: str, file_id: str, size: int):
        """Record a file about to be stored, or raise ``Refused`` if it would take the session, its client or the
        server beyond the limits. A file stored again under the same id replaces the old one."""
        lim = self.limits
        with self._lock:
            others = {k: v for k, v in self._files.items() if k != (session, file_id)}
            mine = [n for (s, _), (_, n) in others.items() if s == session]
            theirs = [n for c, n in others.values() if c == client]
            total = sum(n for _, n in others.values())
            if len(mine) + 1 > lim.session_files:
                raise Refused(f"this tab already holds {len(mine)} uploaded files, the most one tab can", 429)
            if sum(mine) + size > lim.session_bytes:
                raise Refused(f"this tab's uploads would take {_mb(sum(mine) + size)}, more than the "
                              f"{_mb(lim.session_bytes)} one tab can", 413)
            if len(theirs) + 1 > lim.client_files:
                raise Refused(f"your network already holds {len(theirs)} uploaded files on this server, the most "
                              "it can; try again once some tabs are closed", 429)
            if sum(theirs) + size > lim.client_bytes:
                raise Refused(f"your network's uploads would take {_mb(sum(theirs) + size)} of this server's "
                              f"memory, more than the {_mb(lim.client_bytes)} it can; try again later", 413)
            if total + size > lim.total_bytes:
                raise Refused("the server holds as many uploaded files as it can right now; try again in a few "
                              "minutes", 503)
            self._files[(session, file_id)] = (client, size)

    def release(self, session: str, file_id: str):
        with self._lock:
            self._files.pop((session, file_id), None)

    def release_session(self, session: str):
        with self._lock:
            for key in [k for k in self._files if k[0] == session]:
                del self._files[key]

    def held(self, session: str | None = None) -> tuple[int, int]:
        """(files, bytes) held by ``session``, or by everyone."""
        with self._lock:
            sizes = [size for (s, _), (_, size) in self._files.items() if session is None or s == session]
        return len(sizes), sum(sizes)


def _mb(n: int) -> str:
    return f"{n / MB:.1f} MB"
