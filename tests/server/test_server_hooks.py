"""The server's own memory against clients that upload or leave: the uploaded-file bounds and the end of gone
sessions (``ui/server.py``), through a real ``streamlit run`` and clients that speak its protocol; and the Streamlit
internals those hooks rely on, pinned so that a new Streamlit fails here rather than silently undo them."""

from __future__ import annotations

import asyncio
import inspect
import time
import urllib.request

import pytest

from bench.st_client import Client
from nnviz.serving.uploads import MB, UploadLedger, UploadLimits
from tests.browser.browser_helpers import PATIENCE_MS, free_port, start_server, stop_server

PATIENCE_S = PATIENCE_MS / 1000


def run(coro):
    """``asyncio.run`` in a thread of its own: after the browser tests, Playwright's sync API leaves this process's main
    thread looking as if an event loop were running there."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
TTL_S = 3  # the server's reconnect window for a disconnected session (Streamlit's default: 120 s)


@pytest.fixture
def server():
    port = free_port()
    proc = start_server(port, env={"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": str(TTL_S)})
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


def metrics(url: str) -> dict[str, int]:
    """The ``nnviz`` numbers of ``/_stcore/metrics``."""
    with urllib.request.urlopen(f"{url}/_stcore/metrics?families=nnviz", timeout=30) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line.startswith('nnviz{what="'):
            name, value = line[len('nnviz{what="'):].split('"} ')
            out[name] = int(value)
    return out


async def page(url: str, source: str = "127.0.0.66") -> Client:
    c = Client(url, "overview", source=source)
    await c.open(timeout=PATIENCE_S)
    return c


def test_a_tab_and_a_client_hold_a_bounded_amount_of_uploads(server):
    """Issue 32, item 3: one session PUT unreferenced 10 MB files to its upload URL — 60 files took 788 MB, 350 took
    3.8 GB, still held two minutes after the tab died."""
    limits = UploadLimits()

    async def scenario():
        tab = await page(server)
        assert await tab.put_file("a.csv", b"x" * (9 * MB)) == 204
        assert await tab.put_file("b.csv", b"x" * (9 * MB)) == 413  # beyond the tab's 12 MB
        statuses = [await tab.put_file(f"{i}.csv", b"x" * 1000) for i in range(limits.session_files)]
        assert statuses[: limits.session_files - 1] == [204] * (limits.session_files - 1)
        assert statuses[-1] == 429  # beyond the tab's number of files
        tabs = [tab]
        statuses = []
        for _ in range(limits.client_bytes // (9 * MB) + 1):  # more tabs of the same client, 9 MB each
            tabs.append(await page(server))
            statuses.append(await tabs[-1].put_file("c.csv", b"x" * (9 * MB)))
        assert statuses[-1] == 413 and statuses.count(204) == limits.client_bytes // (9 * MB) - 1
        other = await page(server, source="127.0.0.77")  # another client is not held back
        assert await other.put_file("d.csv", b"x" * (9 * MB)) == 204
        held = metrics(server)
        assert held["uploaded_bytes"] <= limits.client_bytes + 9 * MB
        for c in tabs + [other]:
            c.abort()  # the tabs vanish: their sessions end once their reconnect window is over
        deadline = time.monotonic() + PATIENCE_S
        while metrics(server)["uploaded_bytes"] and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        after = metrics(server)
        assert after["uploaded_bytes"] == 0 and after["uploaded_files"] == 0, after

    run(scenario())


def test_the_ledger_counts_per_tab_per_client_and_in_all():
    ledger = UploadLedger(UploadLimits(session_files=2, session_bytes=10, client_files=3, client_bytes=15,
                                       total_bytes=20))
    ledger.admit("s1", "c1", "f1", 5)
    ledger.admit("s1", "c1", "f1", 6)  # the same file again replaces it
    assert ledger.held("s1") == (1, 6)
    with pytest.raises(Exception, match="would take"):
        ledger.admit("s1", "c1", "f2", 5)
    ledger.admit("s2", "c1", "f3", 5)
    with pytest.raises(Exception, match="your network"):
        ledger.admit("s3", "c1", "f4", 5)
    ledger.admit("s4", "c2", "f5", 9)
    with pytest.raises(Exception, match="as many uploaded files as it can"):
        ledger.admit("s5", "c3", "f6", 1)
    ledger.release_session("s1")
    assert ledger.held() == (2, 14)


def test_the_streamlit_internals_the_server_hooks_rely_on():
    """``ui.server`` changes the class of the runtime's upload manager, replaces the session manager's storage, and
    reads a session's client context: if a new Streamlit moves these, it must fail here."""
    from streamlit.runtime import Runtime
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.caching.ttl_cache import TTLCache
    from streamlit.runtime.memory_session_storage import MemorySessionStorage
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.websocket_session_manager import WebsocketSessionManager
    from streamlit.web.server import server as st_server

    source = inspect.getsource(st_server.Server.__init__)
    assert "MemoryUploadedFileManager(UPLOAD_FILE_ENDPOINT)" in source and "MemorySessionStorage(" in source
    assert {"file_storage", "_lock"} <= set(vars(MemoryUploadedFileManager("/x")))
    assert "_cache" in vars(MemorySessionStorage()) and isinstance(MemorySessionStorage()._cache, TTLCache)
    assert "on_remove" in inspect.signature(TTLCache).parameters and callable(TTLCache.expire)
    init = inspect.getsource(WebsocketSessionManager.__init__)
    assert "self._session_storage = session_storage" in init and "self._storage_lock" in init
    assert "self._session_mgr" in inspect.getsource(Runtime.__init__)
    assert callable(Runtime._get_async_objs) and callable(Runtime.get_client) and callable(Runtime.get_app_session)
    assert "remove_session_files" in inspect.getsource(AppSession.shutdown)
    upload_route = inspect.getsource(__import__("streamlit.web.server.starlette.starlette_routes",
                                                fromlist=["x"]).create_upload_routes)
    assert "upload_mgr.add_file(" in upload_route  # the route calls the manager it was given: our class's method
