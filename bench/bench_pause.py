"""Pause where the class sees it: the epoch on screen when Pause is clicked against the epoch the run holds, while a
class trains on the same server.

Starts the app, opens a teacher's page in a real Chromium (at nice 19, as bench_hall's visitors) on the lesson's data
at a given speed — a tab per trial — and presses Train in each, then opens ``--students`` protocol-level sessions
(``bench/st_client.py``) that press Train too and keep training. Then, tab after tab: a random 2–4 s of play, the
epoch on screen read and Pause clicked in the same instant (one script in the page), and the epoch the page shows
once it says "paused". Printed per speed: each trial's epoch shown → epoch held, the largest difference, and how
long "paused" took to show.

    python -m bench.bench_pause                        # 100 students; speeds 10, 50 and max epochs/s; 5 trials each
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
from tests.browser.browser_helpers import CHROMIUM_ARGS

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


def teacher(url: str, speed: str, trials: int, started: asyncio.Event, loop, timeout_s: float = 300):
    """The teacher's browser (in a thread of its own): ``trials`` tabs, each pressing Train before the class does (so
    that each run has a live place, as a teacher's run has before the class's presses), then, one tab after the other,
    a Pause click; returns the trials as (epoch shown at the click, epoch held, seconds until "paused" showed)."""
    from playwright.sync_api import sync_playwright

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=niced_chromium(19), args=CHROMIUM_ARGS)
        try:
            tabs = []
            for k in range(trials):
                pg = browser.new_page(viewport={"width": 1280, "height": 720})
                pg.set_default_timeout(timeout_s * 1000)
                pg.goto(f"{url}/shallow_network?ds=lesson&epochs=5000&speed={speed}&seed={7 + k}")
                pg.get_by_role("button", name="Reset", exact=True).wait_for()
                pg.get_by_role("button", name="Train", exact=True).click()
                pg.wait_for_function("() => document.querySelector('.st-key-tr_readouts')?.textContent"
                                     ".includes('training')")
                tabs.append(pg)
                print(f"  tab {k + 1} of {trials} training", flush=True)
            loop.call_soon_threadsafe(started.set)  # the class may press Train now: the teacher's runs are live
            time.sleep(8)  # the class's presses: the wave of whole pages
            for pg in tabs:
                time.sleep(random.uniform(2, 4))
                pg.bring_to_front()
                shown, readouts = pg.evaluate(CLICK_JS)
                t0 = time.monotonic()
                pg.wait_for_function("() => document.querySelector('.st-key-tr_readouts')?.textContent"
                                     ".includes('paused')")
                latency = time.monotonic() - t0
                time.sleep(1.0)  # anything still on its way arrives
                held = EPOCH.search(state(pg)).group(1)
                out.append((int(EPOCH.search(shown).group(1)), int(held), latency, "training" in readouts))
                print(f"  trial {len(out)}: {out[-1]}", flush=True)
                pg.close()
        finally:
            browser.close()
    return out


async def one_speed(url: str, speed: str, students: int, trials: int):
    started = asyncio.Event()
    loop = asyncio.get_running_loop()
    job = asyncio.create_task(asyncio.to_thread(teacher, url, speed, trials, started, loop))
    await started.wait()
    clients = await open_sessions(url, students, 5000, seed0=100)
    tasks = [asyncio.create_task(press_and_wait(c, 3600)) for c in clients]
    results = await job
    for t in tasks:
        t.cancel()
    for c in clients:
        await c.close()
    return results


async def main_async(args):
    rows = []
    for speed in args.speeds:  # a fresh server per speed: no run of the speed before holds a place
        server = Server()
        try:
            warm = await open_sessions(server.url, 1, 100)
            await press_and_wait(warm[0], 300)
            await warm[0].close()
            results = await one_speed(server.url, speed, args.students, args.trials)
            diffs = [held - shown for shown, held, _, _ in results]
            latencies = [lat for _, _, lat, _ in results]
            rows.append((speed, results, diffs, latencies))
            print(f"speed {speed}: " + ", ".join(f"{s} → {h}" + ("" if live else " (queued)")
                                                 for s, h, _, live in results), flush=True)
        finally:
            server.close()
    print(f"\n| speed (epochs/s) | epoch shown → held ({args.students} students training) | largest difference | "
          "'paused' shown after (median, max) |\n|---|---|---|---|")
    for speed, results, diffs, latencies in rows:
        print(f"| {speed} | {', '.join(f'{s} → {h}' for s, h, _, _ in results)} | {max(diffs, key=abs):+d} | "
              f"{statistics.median(latencies):.1f} s, {max(latencies):.1f} s |")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=100)
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--speeds", type=lambda s: s.split(","), default=["10", "50", "max"])
    asyncio.run(main_async(ap.parse_args()))


if __name__ == "__main__":
    main()
