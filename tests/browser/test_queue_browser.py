"""The queue as a student meets it: a lecture hall has filled the server, and a real browser presses Train.

The hall is made of protocol clients (``bench/st_client.py``: they send what Streamlit's frontend sends and
render nothing), each training the lesson's run; the server is one of its own, so that no other test's pages
share it. The browser's websocket messages are decoded, so the test also sees how much of the page a click
sent again: in a lecture hall nearly every Train press queues its run, and the press must rerun the trainer
panel alone, not the whole page (issue 12)."""

import asyncio
import threading
import time

import pytest
from browser_helpers import PATIENCE_MS, free_port, no_exception, start_server, stop_server, wait_for_app
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.bench_hall import QUERY
from bench.st_client import Client

QUEUED = "Queued:"


class Hall:
    """Protocol clients on an event loop of their own (a thread), each with the lesson's run playing."""

    def __init__(self, url: str):
        self.url = url
        self.clients: list[Client] = []
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()

    def _do(self, coro, timeout=PATIENCE_MS / 1000):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def add(self, n: int):
        async def more():
            new = [Client(self.url, "shallow_network", QUERY.format(epochs=2000, seed=len(self.clients) + i))
                   for i in range(n)]
            for c in new:
                await c.open(timeout=PATIENCE_MS / 1000)
            await asyncio.gather(*(c.click("Train", timeout=PATIENCE_MS / 1000) for c in new))
            self.clients += new

        self._do(more())

    def pause_all(self):
        async def pause():
            await asyncio.gather(*(c.click("Pause", timeout=PATIENCE_MS / 1000) for c in self.clients))

        self._do(pause())

    def close(self):
        async def close():
            for c in self.clients:
                await c.close()

        self._do(close())
        self.loop.call_soon_threadsafe(self.loop.stop)


class Messages:
    """Every message the page's websocket received, decoded, and the runs they belong to."""

    def __init__(self, pg):
        self.pg = pg
        self.received: list[ForwardMsg] = []
        pg.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload):
        if isinstance(payload, bytes):
            msg = ForwardMsg()
            msg.ParseFromString(payload)
            self.received.append(msg)

    def mark(self) -> int:
        """A point in the stream once every run so far has finished (Playwright hands the frames over while the
        test waits, not as they arrive)."""
        deadline = time.monotonic() + PATIENCE_MS / 1000
        while time.monotonic() < deadline:
            kinds = [m.WhichOneof("type") for m in self.received]
            if kinds and kinds.count("new_session") == kinds.count("script_finished"):
                return len(self.received)
            self.pg.wait_for_timeout(100)
        pytest.fail("the page's runs did not finish")

    def runs_since(self, mark: int) -> list[tuple[list[str], int]]:
        """The script runs that started after ``mark``: (their fragment ids — none for a whole page's run, their
        number of deltas)."""
        runs = []
        for msg in self.received[mark:]:
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                runs.append((list(msg.metadata.run.fragment_ids), 0))
            elif kind == "delta" and runs:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        return runs


def body(pg) -> str:
    return pg.inner_text("body")


def wait_for_text(pg, predicate, what: str):
    deadline = time.monotonic() + PATIENCE_MS / 1000
    while time.monotonic() < deadline:
        if predicate(body(pg)):
            return
        pg.wait_for_timeout(200)  # lets Playwright deliver the websocket's events meanwhile
    pytest.fail(f"waited {PATIENCE_MS / 1000:.0f} s for {what}; the page shows: {body(pg)[:1500]}")


def button(pg, name: str):
    return pg.get_by_role("button", name=name.capitalize(), exact=True)


@pytest.fixture
def hall_server():
    port = free_port()
    proc = start_server(port)
    url = f"http://127.0.0.1:{port}"
    hall = Hall(url)
    yield url, hall
    hall.close()
    stop_server(proc)


def test_a_queued_run_says_so_leaves_the_queue_on_pause_and_starts_by_itself(page, hall_server):
    url, hall = hall_server
    hall.add(32)  # the lesson's run, 2,000 epochs each: more than this server shows live
    messages = Messages(page)
    page.goto(url + "/shallow_network?ds=xor&epochs=500&speed=max&seed=3")
    wait_for_app(page)

    for _ in range(4):  # should the server show every run of the hall live, the hall grows until it queues
        mark = messages.mark()
        button(page, "train").click()
        wait_for_text(page, lambda text: QUEUED in text or "training…" in text or "finished" in text,
                      "the press's answer")
        if QUEUED in body(page):
            break
        button(page, "pause").click()
        wait_for_text(page, lambda text: "paused" in text, "the pause")
        hall.add(12)
    else:
        pytest.fail(f"{len(hall.clients)} runs of the lesson and the server still shows them all live")

    # The page says so, with the runs ahead, and only Pause applies.
    queued_line = next(line for line in body(page).splitlines() if line.startswith(QUEUED))
    assert "ahead" in queued_line or "next to start" in queued_line, queued_line
    assert "step 0 · queued" in body(page)
    assert button(page, "train").is_disabled() and button(page, "step").is_disabled()
    assert button(page, "pause").is_enabled()
    no_exception(page)
    # The press reran the trainer panel alone: a fragment's run, with well under half of the page's elements.
    messages.mark()
    first_run, press = messages.runs_since(0)[0], messages.runs_since(mark)[0]
    assert not first_run[0]  # the page's first run: the whole page
    whole_page = first_run[1]
    assert press[0], f"the Train press reran the whole page ({press[1]} elements)"
    assert press[1] < whole_page / 2, (press, whole_page)

    # Pause leaves the queue, and the run is as it was (the panel alone again).
    mark = messages.mark()
    button(page, "pause").click()
    wait_for_text(page, lambda text: QUEUED not in text and "step 0 · ready" in text, "the run back at ready")
    assert button(page, "train").is_enabled() and button(page, "pause").is_disabled()
    messages.mark()
    assert all(fragments for fragments, _ in messages.runs_since(mark)), messages.runs_since(mark)

    # Queued again; the hall pauses, places free up, and the run starts by itself.
    button(page, "train").click()
    wait_for_text(page, lambda text: QUEUED in text, "the run queued again")
    hall.pause_all()
    wait_for_text(page, lambda text: QUEUED not in text and ("training…" in text or "finished" in text),
                  "the run started by itself")
    wait_for_text(page, lambda text: "Epoch 0 / 500" not in text, "the chart to move")
    assert button(page, "pause").is_enabled() or "finished" in body(page)
    no_exception(page)
