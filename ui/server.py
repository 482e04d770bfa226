"""Streamlit's server fitted, once per process, for a public classroom app (``install``, from ``app.py``).

Streamlit is built for a trusted audience; here anyone with the link is a client. Three places of its runtime are
changed, each on the object the runtime already uses (so every route that holds it sees the change), and
``tests/server/test_server_hooks.py`` pins the internals they rely on:

- uploads: the uploaded-file manager keeps no more than ``nnviz.serving.uploads.UploadLimits`` per tab, per client and in
  all; beyond, the PUT is answered with a 4xx (docs/decisions/upload-bounds.md);
- sessions that are gone: a disconnected session waits ``server.disconnectedSessionTTL`` seconds for its browser to
  reconnect, in a cache that drops it afterwards without shutting it down — so its uploaded files, media and the
  data frames it served stayed in memory for good. Here a session the cache drops (expired, or evicted when more
  than its 128 wait) is shut down, as Streamlit's own ``close_session`` does, and a reaper looks for expired ones
  every few seconds;
- the app's front-end files: Streamlit serves them uncompressed, on purpose — its
  middleware would compress them again for every visitor. Here each text file (JavaScript, CSS, HTML, JSON, SVG)
  is compressed once, by a background thread at the lowest priority, the first time it is asked for (brotli at
  its best, and gzip), and a browser gets the best copy it accepts (``Vary: Accept-Encoding``); HAProxy's cache
  keeps that copy for every later visitor (``cluster/haproxy.cfg``; why: docs/decisions/first-visit-bytes.md).
- numbers for operators: ``/_stcore/metrics`` gains the ``nnviz`` family (runs, sessions, uploads).
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import gzip
import logging
import os
import queue
import threading
import time
import weakref

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, Response
from starlette.staticfiles import StaticFiles
from streamlit.runtime import Runtime
from streamlit.runtime.caching.ttl_cache import TTLCache
from streamlit.runtime.memory_session_storage import MemorySessionStorage
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.stats import GaugeStat

try:
    import brotli  # in requirements.txt; without it, front-end files go gzip-compressed
except ImportError:  # pragma: no cover - a host where the wheel is missing
    brotli = None

from nnviz.serving import data_store, runner
from nnviz.serving.identity import client_address
from nnviz.serving.uploads import Refused, UploadLedger
from ui.identity import trusted

_LOG = logging.getLogger("nnviz")
LEDGER = UploadLedger()
REAP_EVERY_S = 5.0
STATS_FAMILY = "nnviz"

_installed = False
_install_lock = threading.Lock()
_sessions_seen: weakref.WeakSet = weakref.WeakSet()  # every AppSession a page ran in (alive ones, for the stats)
_shut_down = 0  # sessions this module shut down after their reconnect window


def install():
    """Fit this process's Streamlit server (once; nothing happens under AppTest, which has no real server)."""
    global _installed
    if _installed or not Runtime.exists():
        return
    with _install_lock:
        if _installed:
            return
        runtime = Runtime.instance()
        if type(runtime) is not Runtime:  # AppTest's stand-in
            return
        _bound_uploads(runtime)
        _reap_sessions(runtime)
        _compress_static_files()
        runtime.stats_mgr.register_provider(_Stats(runtime))
        _installed = True


def seen(session_id: str):
    """A page ran in this session (counted while its AppSession object lives: the stats' leak check)."""
    if _installed:
        session = Runtime.instance().get_app_session(session_id)
        if session is not None:
            _sessions_seen.add(session)


# ----------------------------------------------------------------------------- uploads


def client_of_session(runtime: Runtime, session_id: str) -> str:
    """The client of a connected session, from its websocket's peer and headers (``nnviz.serving.identity``)."""
    client = runtime.get_client(session_id)
    context = getattr(client, "client_context", None)
    if context is None:
        return ""
    lines = [value for name, value in context.headers if name.lower() == "x-forwarded-for"]
    return client_address(context.remote_ip, lines, trusted())


class BoundedUploadedFileManager(MemoryUploadedFileManager):
    """Streamlit's in-memory upload manager, with ``LEDGER`` deciding what it may hold."""

    def add_file(self, session_id, file):
        try:
            LEDGER.admit(session_id, client_of_session(Runtime.instance(), session_id), file.file_id, len(file.data))
        except Refused as refused:
            raise HTTPException(status_code=refused.status, detail=str(refused)) from None
        try:
            super().add_file(session_id, file)
        except BaseException:
            LEDGER.release(session_id, file.file_id)
            raise

    def remove_file(self, session_id, file_id):
        super().remove_file(session_id, file_id)
        LEDGER.release(session_id, file_id)

    def remove_session_files(self, session_id):
        super().remove_session_files(session_id)
        LEDGER.release_session(session_id)


def _bound_uploads(runtime: Runtime):
    manager = runtime.uploaded_file_mgr
    if type(manager) is not MemoryUploadedFileManager:
        _LOG.warning("uploads are not bounded: Streamlit's upload manager is a %s", type(manager).__name__)
        return
    with manager._lock:  # files stored before this install count too (none, usually: it runs at a first page)
        for session_id, files in manager.file_storage.items():
            for rec in files.values():
                LEDGER._files[(session_id, rec.file_id)] = ("", len(rec.data))
        manager.__class__ = BoundedUploadedFileManager


# ----------------------------------------------------------------------------- sessions that are gone


class ReapingSessionStorage(MemorySessionStorage):
    """Streamlit's store of disconnected sessions (each kept ``ttl_seconds`` for its browser to reconnect), which
    shuts down a session it drops — expired, or evicted — unless it was taken back by a reconnect."""

    def __init__(self, runtime: Runtime, maxsize: int, ttl_seconds: float):
        super().__init__(maxsize=maxsize, ttl_seconds=ttl_seconds)
        self._runtime = runtime
        self._cache = TTLCache(maxsize=maxsize, ttl=ttl_seconds, on_remove=self._removed)

    def _removed(self, session_id: str, info):
        if self._runtime.is_active_session(session_id):
            return  # reconnected: the session lives on
        global _shut_down
        _shut_down += 1
        info.session.shutdown()  # frees its uploads, media and data frames (a no-op if Streamlit did it already)

    def reap(self):
        """Drop (and so shut down) the sessions whose reconnect window is over."""
        self._cache.expire()


def _reap_sessions(runtime: Runtime):
    manager = runtime._session_mgr
    old = getattr(manager, "_session_storage", None)
    if type(old) is not MemorySessionStorage:
        _LOG.warning("gone sessions are not reaped: Streamlit's session storage is a %s", type(old).__name__)
        return
    loop = runtime._get_async_objs().eventloop
    storage = ReapingSessionStorage(runtime, maxsize=int(old._cache.maxsize), ttl_seconds=old._cache.ttl)

    def swap():  # on the event loop, where the session manager touches its storage
        with manager._storage_lock:
            for info in old.list():
                storage.save(info)
            manager._session_storage = storage

    def reap():
        with manager._storage_lock:
            storage.reap()

    def reaper():
        reaped = _shut_down
        while not loop.is_closed():
            time.sleep(REAP_EVERY_S)
            try:
                loop.call_soon_threadsafe(reap)
            except RuntimeError:  # the loop closed: the server is stopping
                return
            if _shut_down != reaped:  # sessions were shut down since the last look: give their memory back
                reaped = _shut_down
                release_memory()

    loop.call_soon_threadsafe(swap)
    threading.Thread(target=reaper, name="nnviz-session-reaper", daemon=True).start()


def release_memory():
    """Collect what the sessions shut down left (their objects form cycles; the app turns off Streamlit's collection
    after every script run) and hand the freed heap back to the system (glibc keeps it otherwise)."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory is reused by the process, not returned
        pass


# ----------------------------------------------------------------------------- front-end files, compressed once

COMPRESSED_SUFFIXES = (".js", ".mjs", ".css", ".html", ".json", ".svg", ".txt", ".map")
_copies: dict[tuple[str, int, int], dict[str, bytes]] = {}  # (path, mtime, size) -> {"br": …, "gzip": …}
_pending: set[tuple[str, int, int]] = set()
_to_compress: queue.Queue = queue.Queue()


def _compressor():
    """A thread at the lowest priority that compresses each front-end file once it is first asked for: brotli at
    its best (seconds of a core per bundle, once; brotli lets go of the interpreter lock meanwhile) and gzip for
    browsers without brotli."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    while True:
        key = _to_compress.get()
        try:
            with open(key[0], "rb") as f:
                data = f.read()
            copies = {"gzip": gzip.compress(data, compresslevel=9, mtime=0)}
            if brotli is not None:
                copies["br"] = brotli.compress(data, quality=11)
            _copies[key] = copies
        except OSError:
            pass
        finally:
            _pending.discard(key)


def compressed_copy(path: str, stat_result: os.stat_result, accepted: str) -> tuple[str, bytes] | None:
    """(encoding, body) of the best compressed copy of a front-end file the browser accepts, or None while there is
    none yet (the first request queues its compression; meanwhile the file goes as it is)."""
    key = (path, stat_result.st_mtime_ns, stat_result.st_size)
    copies = _copies.get(key)
    if copies is None:
        if key not in _pending:
            _pending.add(key)
            _to_compress.put(key)
        return None
    tokens = {t.split(";")[0].strip() for t in accepted.lower().split(",")}
    for encoding in ("br", "gzip"):
        if encoding in tokens and encoding in copies:
            return encoding, copies[encoding]
    return None


def _compress_static_files():
    original = StaticFiles.file_response
    if getattr(original, "_nnviz", False):
        return
    threading.Thread(target=_compressor, name="nnviz-compress-static", daemon=True).start()

    def file_response(self, full_path, stat_result, scope, status_code=200):
        response = original(self, full_path, stat_result, scope, status_code)
        request = Headers(scope=scope)
        if (type(response) is not FileResponse or status_code != 200 or "range" in request
                or not str(full_path).endswith(COMPRESSED_SUFFIXES)):
            return response
        copy = compressed_copy(str(full_path), stat_result, request.get("accept-encoding", ""))
        if copy is None:
            return response
        encoding, body = copy
        headers = {k: v for k, v in response.headers.items() if k not in ("content-length", "etag")}
        headers.update({"content-encoding": encoding, "vary": "Accept-Encoding"})
        if "etag" in response.headers:  # another representation, another tag
            headers["etag"] = response.headers["etag"].rstrip('"') + f'-{encoding}"'
        return Response(body, status_code=200, headers=headers)

    file_response._nnviz = True
    StaticFiles.file_response = file_response


# ----------------------------------------------------------------------------- numbers for operators


class _Stats:
    """``/_stcore/metrics?families=nnviz``: what the server holds now."""

    stats_families = (STATS_FAMILY,)

    def __init__(self, runtime: Runtime):
        self._runtime = runtime

    def get_stats(self, family_names=None):
        manager = self._runtime._session_mgr
        storage = getattr(manager, "_session_storage", None)
        files, held = LEDGER.held()
        values = {
            "runs": runner.runs_alive(),
            "playing_runs": runner.playing_runs(),
            "active_sessions": len(manager.list_active_sessions()),
            "waiting_sessions": storage._cache.currsize if storage is not None else -1,
            "session_objects": len(_sessions_seen),
            "sessions_shut_down": _shut_down,
            "uploaded_files": files,
            "uploaded_bytes": held,
            "stored_datasets": data_store.stored_uploads(),
            "files_compressed": len(_copies),
            "files_to_compress": len(_pending),
        }
        return {STATS_FAMILY: [GaugeStat(STATS_FAMILY, int(v), {"what": k}) for k, v in values.items()]}
