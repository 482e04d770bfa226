"""The server against hostile and careless clients, as the attacks of issue 32 were made: protocol-level clients that
speak Streamlit's websocket as the browser does (``bench/st_client.py``), against a real ``streamlit run`` of the app
started for each test on a free loopback port. No timing is asserted: every wait is a deadline for a loaded machine.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from bench.st_client import Client
from tests.browser.browser_helpers import PATIENCE_MS, free_port, start_server, stop_server

PATIENCE_S = PATIENCE_MS / 1000
#: A run that cannot end while a test lasts: batch 1 over the lesson's 4,000 samples, 5,000 epochs.
ENDLESS = "ds=lesson&hidden=10&lr=1&batch=1&epochs=5000&speed=max&seed={seed}"


@pytest.fixture
def one_worker_server():
    """The app with one training worker: two live places at least (the floor), four before it measures itself."""
    port = free_port()
    proc = start_server(port, env={"NNVIZ_WORKERS": "1"})
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


def state_of(client: Client) -> str:
    """The run's state as its page says it last: "step 1,234 · training…", "… · queued", …"""
    line = next((t for t in reversed(client.texts) if t.startswith("step ")), "")
    return line.rpartition("·")[2].strip()


async def until(predicate, what: str, patience: float = PATIENCE_S):
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.1)
    pytest.fail(f"waited {patience:.0f} s for {what}")


async def tab(url: str, query: str, source: str | None = None, press: bool = True) -> Client:
    c = Client(url, "shallow_network", query, source=source)
    await c.open(timeout=PATIENCE_S)
    if press:
        await c.click("Train", timeout=PATIENCE_S)
    return c


def test_tabs_that_vanish_mid_run_do_not_jam_the_queue(one_worker_server):
    """Issue 32, item 1: six tabs press Train on endless runs and vanish — three drop their socket without a close,
    three close it properly — while students wait in the queue. The students' runs start, and a newcomer's too."""
    url = one_worker_server

    async def scenario():
        vanishing = [await tab(url, ENDLESS.format(seed=i), source=f"127.0.0.{10 + i}") for i in range(6)]
        await until(lambda: all(state_of(c) in ("training…", "queued") for c in vanishing), "the six tabs' runs")
        students = [await tab(url, ENDLESS.format(seed=100 + i), source=f"127.0.1.{i + 1}") for i in range(2)]
        for c in vanishing[:3]:
            c.abort()
        for c in vanishing[3:]:
            await c.close()
        await until(lambda: all(state_of(c) == "training…" for c in students),
                    "the queued students' runs to start once the six tabs had gone")
        newcomer = await tab(url, ENDLESS.format(seed=200), source="127.0.2.1")
        await until(lambda: state_of(newcomer) == "training…", "a newcomer's run to start")
        for c in students + [newcomer]:
            await c.close()

    asyncio.run(scenario())


def queued_ahead(client: Client) -> int | None:
    line = client.text_matching("Queued:") or ""
    if "next to start" in line:
        return 0
    words = line.split()
    return int(words[1]) if len(words) > 2 and words[1].isdigit() else None


def test_thirty_tabs_of_one_client_do_not_keep_a_student_waiting(one_worker_server):
    """Issue 32, item 9: one client with 30 heavy tabs (hidden 512, batch 1, 5000 epochs) kept a student queued
    beyond 240 s. Places are shared per client: the student waits behind none of the 30 tabs, and starts."""
    url = one_worker_server
    heavy = "ds=lesson&hidden=512&lr=1&batch=1&epochs=5000&speed=max&seed={seed}"

    async def scenario():
        hog = [Client(url, "shallow_network", heavy.format(seed=i), source="127.0.0.66") for i in range(30)]
        for c in hog:
            await c.open(timeout=PATIENCE_S)
        await asyncio.gather(*(c.click("Train", timeout=PATIENCE_S) for c in hog))
        await until(lambda: sum(state_of(c) == "queued" for c in hog) >= 10, "the hog's tabs to fill the queue")
        student = await tab(url, ENDLESS.format(seed=99), source="127.0.0.77")
        assert state_of(student) == "training…" or queued_ahead(student) == 0, student.texts
        await until(lambda: state_of(student) == "training…", "the student's run to start")
        for c in hog + [student]:
            await c.close()

    asyncio.run(scenario())
