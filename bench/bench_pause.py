"""Pause where the class sees it: the epoch on screen when Pause is clicked against the epoch the run holds, while a
class trains on the same server.

Per trial, a fresh server: a teacher's page in a real Chromium (at nice 19, as bench_hall's visitors) on the lesson's
data at a given speed presses Train, then ``--students`` protocol-level sessions (``bench/st_client.py``) press Train
too and keep training; after their wave and a random 2–4 s more, the epoch on screen is read and Pause clicked in the
same instant (one script in the page), and the epoch the page shows once it says "paused" is read. Printed per
speed: each trial's epoch shown → epoch held, the largest difference, and how long "paused" took to show.

    python -m bench.bench_pause                        # 100 students; speeds 10, 50 and max epochs/s; 3 trials each
    python -m bench.bench_pause --students 30 --trials 3 --speeds 50
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import time

from bench.bench_hall import Server, niced_chromium, open_sessions, press_and_wait
from tools.local import CHROMIUM_ARGS

EPOCH = re.compile(r"Epoch (\d+) /")
CLICK_JS = """() => {
  // what the class sees at this instant, and the click in the same task: nothing can be drawn in between
  const readouts = document.querySelector('.st-key-tr_readouts');  // "training…" unless the run waits in the queue
  const shown = [readouts.querySelector('h3').textContent, readouts.textContent];
  document.querySelector('.st-key-tr_pause button').click();
  return shown;
}"""


def state(pg) -> str:
    return pg.locator(".st-key-tr_readouts").inner_text()


def teacher(url: str, speed: str, started: asyncio.Event, loop, timeout_s: float = 300):
    """The teacher's browser (in a thread of its own): Train before the class presses (a teacher's run has its live
    place before the class's presses), then, after the class's wave and a random 2–4 s more, Pause; returns (epoch
    shown at the click, epoch held, seconds until the page said "paused", whether the run was training)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=niced_chromium(19), args=CHROMIUM_ARGS)
        try:
            pg = browser.new_page(viewport={"width": 1280, "height": 720})
            pg.set_default_timeout(timeout_s * 1000)
            pg.goto(f"{url}/shallow_network?ds=lesson&epochs=5000&speed={speed}&seed=7")
            pg.get_by_role("button", name="Reset", exact=True).wait_for()
            pg.get_by_role("button", name="Train", exact=True).click()
            pg.wait_for_function("() => document.querySelector('.st-key-tr_readouts')?.textContent"
                                 ".includes('training')")
            loop.call_soon_threadsafe(started.set)  # the class may press Train now
            time.sleep(8 + random.uniform(2, 4))  # the class's presses: the wave of whole pages, and then some
            shown, readouts = pg.evaluate(CLICK_JS)
            t0 = time.monotonic()
            # "paused" — or "ready", for a run that was waiting in the queue at the click (Pause leaves the queue)
            pg.wait_for_function("() => /step [0-9,]+ · (paused|ready)/.test(document.querySelector("
                                 "'.st-key-tr_readouts')?.textContent || '')")
            latency = time.monotonic() - t0
            time.sleep(1.0)  # anything still on its way arrives
            held = EPOCH.search(state(pg)).group(1)
            return int(EPOCH.search(shown).group(1)), int(held), latency, "training" in readouts
        finally:
            browser.close()


async def one_trial(speed: str, students: int):
    """A fresh server, the teacher's run, the class, one Pause."""
    server = Server()
    try:
        warm = await open_sessions(server.url, 1, 100)
        await press_and_wait(warm[0], 300)
        await warm[0].close()
        started = asyncio.Event()
        job = asyncio.create_task(asyncio.to_thread(teacher, server.url, speed, started, asyncio.get_running_loop()))
        await started.wait()
        clients = await open_sessions(server.url, students, 5000, seed0=100)
        tasks = [asyncio.create_task(press_and_wait(c, 3600)) for c in clients]
        result = await job
        for t in tasks:
            t.cancel()
        for c in clients:
            await c.close()
        print(f"  speed {speed}: {result}", flush=True)
        return result
    finally:
        server.close()


async def main_async(args):
    rows = []
    for speed in args.speeds:
        results = [await one_trial(speed, args.students) for _ in range(args.trials)]
        diffs = [held - shown for shown, held, _, _ in results]
        latencies = [lat for _, _, lat, _ in results]
        rows.append((speed, results, diffs, latencies))
    print(f"\n| speed (epochs/s) | epoch shown → held ({args.students} students training) | largest difference | "
          "'paused' shown after (median, max) |\n|---|---|---|---|")
    for speed, results, diffs, latencies in rows:
        shown = ", ".join(f"{s} → {h}" + ("" if live else " (queued)") for s, h, _, live in results)
        print(f"| {speed} | {shown} | {max(diffs, key=abs):+d} | {statistics.median(latencies):.1f} s, "
              f"{max(latencies):.1f} s |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=100)
    ap.add_argument("--trials", type=int, default=3, help="Pause clicks per speed, each on a fresh server")
    ap.add_argument("--speeds", type=lambda s: s.split(","), default=["10", "50", "max"])
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
