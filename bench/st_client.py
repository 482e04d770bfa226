"""A minimal Streamlit client that speaks the browser's protocol — for load benchmarks.

One Chromium per simulated student would measure the browsers, not the server: on a
2-core machine, eight headless Chromiums rendering live charts take most of the CPU
(measured: ~1.5 of 2 cores). This client sends exactly the messages a browser's
Streamlit frontend sends — a ``rerun_script`` to open the page, the button's trigger
to press it, and a ``rerun_script`` for each fragment every ``run_every`` seconds
(the frontend schedules those, not the server) — and reads what comes back, but
renders nothing.
"""

from __future__ import annotations

import asyncio
import http.client
import time
import urllib.parse
import uuid

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

MAX_AGE = 2  # the frontend's global.maxCachedMessageAge default


class Client:
    """One browser tab's worth of protocol, without the rendering."""

    def __init__(self, base_url: str, page: str, query: str = "", watch: tuple[str, ...] = (),
                 source: str | None = None, headers: dict | None = None):
        parsed = urllib.parse.urlparse(base_url)
        self.base_url = base_url.rstrip("/")
        self.ws_url = f"ws://{parsed.netloc}/_stcore/stream"
        self.source = source  # the local address to connect from (127.0.0.x: another client on this machine)
        self.headers = headers or {}  # extra handshake headers (e.g. a forged X-Forwarded-For)
        self.session_id = ""
        self.page = page
        self.query = query
        self.buttons: dict[str, str] = {}  # label -> widget id
        self.button_fragments: dict[str, str] = {}  # label -> the fragment the button is drawn in ("" for none)
        self.texts: list[str] = []  # markdown and alert bodies of the latest run, in order
        self.fragments: dict[str, float] = {}  # fragment id -> auto-rerun interval (s)
        self.components: list[tuple[str, str]] = []  # custom components drawn (widget id, fragment id), in order
        self.runs_finished = 0
        self.deltas = 0
        self.chart_times: list[float] = []  # when each training-chart update arrived
        self.chart_bytes = 0  # total size of the training-chart specs received
        self.sent_times: list[float] = []  # when each rerun request (a fragment's timer, a click) was sent
        self.watch = watch  # text prefixes whose arrival times are recorded in ``marks``
        self.marks: dict[str, list[float]] = {w: [] for w in watch}
        self.page_script_hash = ""
        # as the frontend's ForwardMsgCache: large elements by hash, sent back with each rerun so that the
        # server sends a reference instead of an unchanged element (entries expire after MAX_AGE runs)
        self._cache: dict[str, list] = {}  # hash -> [ForwardMsg, run count when last used]
        self._run_count = 0
        self._finished = asyncio.Event()
        self._ws = None
        self._tasks: list[asyncio.Task] = []

    async def open(self, timeout: float = 60.0) -> float:
        """Connect and run the page; returns the seconds until its first run finished."""
        t0 = time.monotonic()
        # no keep-alive pings of our own: a browser sends none (it answers the server's), and a client that
        # closes its socket when a busy server answers a ping late would measure itself, not the server
        extra = {"local_addr": (self.source, 0)} if self.source else {}
        self._ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=2**26,
                                            open_timeout=timeout, ping_interval=None,
                                            additional_headers=self.headers, **extra)
        self._tasks.append(asyncio.create_task(self._receive()))
        await self._rerun()
        await asyncio.wait_for(self._wait_run(), timeout)
        self._tasks.append(asyncio.create_task(self._auto_rerun()))
        return time.monotonic() - t0

    async def click(self, label: str, timeout: float = 60.0):
        # as the frontend does: a click on a widget inside a fragment reruns that fragment (the server may still
        # make it a whole page's run)
        state = WidgetState(id=self.buttons[label], trigger_value=True)
        await self._rerun(widget_states=[state], fragment_id=self.button_fragments.get(label, ""))
        await asyncio.wait_for(self._wait_run(), timeout)

    async def send_state(self, widget_id: str, json_value: str, fragment_id: str = "", timeout: float = 60.0):
        """Send a custom component's state (JSON) as its frontend would, and wait for the run it asks for."""
        await self._rerun(widget_states=[WidgetState(id=widget_id, json_value=json_value)], fragment_id=fragment_id)
        await asyncio.wait_for(self._wait_run(), timeout)

    async def clear_cache(self):
        """Send Streamlit's ``clear_cache`` message, as the frontend's developer menu (or any script) can."""
        msg = BackMsg()
        msg.clear_cache = True
        await self._ws.send(msg.SerializeToString())

    async def refresh(self):
        """Run the whole page again, as a student pressing R (or reloading) would; the session keeps its run."""
        await self._rerun()

    async def put_file(self, name: str, data: bytes, file_id: str | None = None) -> int:
        """PUT a file to the session's upload URL as the browser's file uploader does (its XSRF cookie and header,
        here forged as any script can: the check is double-submit); returns the HTTP status."""
        from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

        token = generate_xsrf_token_string()
        boundary = uuid.uuid4().hex
        body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
        parsed = urllib.parse.urlparse(self.base_url)
        path = f"/_stcore/upload_file/{self.session_id}/{file_id or uuid.uuid4()}"

        def put() -> int:
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120,
                                              source_address=(self.source, 0) if self.source else None)
            try:
                conn.request("PUT", path, body=body, headers={
                    "Content-Type": f"multipart/form-data; boundary={boundary}", "X-Xsrftoken": token,
                    "Cookie": f"_streamlit_xsrf={token}", **self.headers})
                response = conn.getresponse()
                response.read()
                return response.status
            finally:
                conn.close()

        return await asyncio.to_thread(put)

    def text_matching(self, needle: str) -> str | None:
        return next((t for t in self.texts if needle in t), None)

    async def close(self):
        for task in self._tasks:
            task.cancel()
        if self._ws is not None:
            await self._ws.close()

    def abort(self):
        """Vanish: the socket is dropped without the websocket's closing handshake (a laptop shut, a tab killed)."""
        for task in self._tasks:
            task.cancel()
        if self._ws is not None:
            self._ws.transport.abort()

    # --- protocol

    async def _rerun(self, widget_states=(), fragment_id: str = "", auto: bool = False):
        self.sent_times.append(time.monotonic())
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query
        cs.page_name = "" if self.page_script_hash else self.page
        cs.page_script_hash = self.page_script_hash
        cs.fragment_id = fragment_id
        cs.is_auto_rerun = auto
        cs.widget_states.widgets.extend(widget_states)
        cs.cached_message_hashes.extend(self._cache)
        self._finished.clear()
        await self._ws.send(msg.SerializeToString())

    async def _wait_run(self):
        await self._finished.wait()

    async def _receive(self):
        async for data in self._ws:
            msg = ForwardMsg()
            msg.ParseFromString(data)
            kind = msg.WhichOneof("type")
            if kind == "ref_hash":
                entry = self._cache.get(msg.ref_hash)
                if entry is None:
                    continue
                entry[1] = self._run_count
                msg, kind = entry[0], entry[0].WhichOneof("type")
            elif msg.metadata.cacheable and msg.hash:
                self._cache[msg.hash] = [msg, self._run_count]
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id or self.session_id
                if not msg.metadata.run.fragment_ids:  # a full run: as the frontend does, drop every timer;
                    self.fragments.clear()  # the run's fragments register theirs again (auto_rerun)
                    # and the page is drawn anew; a fragment's run redraws only its own part (a late timer of a
                    # fragment, run after the full run that finished the run, must not hide "Finished")
                    self.texts = []
            elif kind == "navigation" and msg.navigation.page_script_hash:
                self.page_script_hash = msg.navigation.page_script_hash
            elif kind == "delta":
                self.deltas += 1
                self._read_delta(msg.delta)
            elif kind == "auto_rerun":
                self.fragments[msg.auto_rerun.fragment_id] = msg.auto_rerun.interval
            elif kind == "stop_auto_rerun":  # the server evicted these fragments: stop their timers only
                for fid in msg.stop_auto_rerun.fragment_ids:
                    self.fragments.pop(fid, None)
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # stopped for another run (a click whose callback asked for the whole page): wait on
                self._run_count += 1
                self._cache = {h: e for h, e in self._cache.items() if self._run_count - e[1] <= MAX_AGE}
                self.runs_finished += 1
                self._finished.set()

    def _read_delta(self, delta):
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        kind = el.WhichOneof("type")
        if kind == "button":
            self.buttons[el.button.label] = el.button.id
            self.button_fragments[el.button.label] = delta.fragment_id
        elif kind == "bidi_component":
            self.components.append((el.bidi_component.id, delta.fragment_id))
        elif kind == "markdown":
            self._add_text(el.markdown.body)
        elif kind == "alert":
            self._add_text(el.alert.body)
        elif kind == "vega_lite_chart" and '"train loss"' in el.vega_lite_chart.spec:  # the live loss chart
            self.chart_times.append(time.monotonic())
            self.chart_bytes += len(el.vega_lite_chart.spec) + sum(len(d.data.data) for d in el.vega_lite_chart.datasets)

    def _add_text(self, body: str):
        for w in self.watch:
            if body.startswith(w):
                self.marks[w].append(time.monotonic())
                # a watched line (e.g. a countdown) replaces its previous version
                self.texts = [t for t in self.texts if not t.startswith(w)] + [body]
                return
        # keep only the latest version of each kind of line ("step 1,234 · training…" is one kind)
        def kind(text):
            return ["step"] if text.startswith("step ") else text.split(" ", 2)[:2]

        self.texts = [t for t in self.texts if kind(t) != kind(body)] + [body]

    async def _auto_rerun(self):
        """As the frontend does: rerun each fragment every ``interval`` seconds.

        Sleeps until the next one is due (at most 0.1 s, to notice new fragments), so that
        hundreds of clients in one process do not spend its CPU polling their timers."""
        due: dict[str, float] = {}
        while True:
            now = time.monotonic()
            for fid, interval in list(self.fragments.items()):
                if now >= due.get(fid, 0.0):
                    due[fid] = now + interval
                    await self._rerun(fragment_id=fid, auto=True)
            nearest = min((due.get(fid, 0.0) for fid in self.fragments), default=now + 0.1)
            await asyncio.sleep(min(0.1, max(0.005, nearest - time.monotonic())))
