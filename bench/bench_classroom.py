"""A classroom's load on one server: does live training stay fast and the server responsive?

Starts the app (``streamlit run``, default worker pool) and loads it the way a class
does, every session running the lesson's run (20 features, hidden 10, batch 100,
500 epochs, learning rate 1, speed "max"):

1. headless: the Trainer alone in this process (the ceiling);
2. one session: in-app steps/s (the server's wall time from Train to finished, shown
   on the page) and how often the training chart is redrawn while a longer run plays;
3. eight sessions press Train at once: all must finish with their own results; total
   throughput against one session's; how long a ninth visitor waits for the page
   meanwhile (a real Chromium loading the page, and the protocol's first full run);
   peak memory of the server and its workers.

The sessions are ``bench/st_client.py`` clients: they send what a browser's Streamlit
frontend sends (open, press Train, rerun each fragment every run_every seconds) but
render nothing — the students' laptops do the rendering in a classroom, and eight
headless Chromiums on this same 2-core machine would mostly measure themselves.

    python bench/bench_classroom.py [--repeats 3] [--sessions 8]

4. the MNIST page: two sessions press Train together (the second must queue), while two
   real Chromium pages draw digits; the server-side time per prediction and peak memory.

Targets (issues 3 and 6): one session ≥ 75 % of headless while the chart redraws ≥ 5 times a
second; eight sessions all finish, total ≥ 2/3 of one session's, a ninth page within 3 s;
drawing ≤ 100 ms per prediction while Keras trains, a second training waits its turn.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "browser"))
sys.path.insert(0, str(ROOT / "bench"))

from browser_helpers import CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402
from st_client import Client  # noqa: E402

from nnviz import ShallowNN, Trainer  # noqa: E402
from nnviz.datasets import lesson_data  # noqa: E402

LESSON_URL = "/shallow_network?ds=lesson&hidden=10&lr=1&batch=100&epochs={epochs}&speed=max&seed={seed}"
FINISHED = re.compile(r"Finished (\d+) epochs \(([\d,]+) steps\) in ([\d.]+) s of training — ([\d,]+) steps/s overall")


def headless(repeats: int) -> float:
    ds = lesson_data()
    rates = []
    for seed in range(repeats):
        trainer = Trainer(ShallowNN(20, 10, 1, seed=seed), ds.X_train, ds.y_train, ds.X_test, ds.y_test,
                          lr=1.0, batch_size=100, epochs=500)
        p = trainer.run()
        rates.append(p.n_steps / p.seconds)
    return statistics.median(rates)


class Server:
    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(self.port)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={k: v for k, v in os.environ.items() if k != "NNVIZ_WORKERS"},
        )
        self.url = f"http://127.0.0.1:{self.port}"
        import urllib.request

        for _ in range(300):
            try:
                urllib.request.urlopen(self.url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        self.peak_rss = 0
        self._stop = threading.Event()
        threading.Thread(target=self._watch_memory, daemon=True).start()

    def _watch_memory(self):
        proc = psutil.Process(self.proc.pid)
        while not self._stop.is_set():
            try:
                rss = proc.memory_info().rss + sum(c.memory_info().rss for c in proc.children(recursive=True))
                self.peak_rss = max(self.peak_rss, rss)
            except psutil.Error:
                pass
            time.sleep(0.1)

    def close(self):
        self._stop.set()
        self.proc.terminate()
        self.proc.wait(timeout=10)


def lesson_query(epochs=500, seed=0) -> str:
    return LESSON_URL.format(epochs=epochs, seed=seed).split("?", 1)[1]


def parse_finished(text):
    m = FINISHED.search(text or "")
    return None if m is None else (int(m.group(2).replace(",", "")), float(m.group(3)),
                                   float(m.group(4).replace(",", "")))


async def session(url, epochs=500, seed=0):
    client = Client(url, "shallow_network", lesson_query(epochs, seed))
    await client.open()
    return client


async def train_until_finished(client, timeout=300):
    t0 = time.monotonic()
    await client.click("Train")
    while time.monotonic() - t0 < timeout:
        done = parse_finished(client.text_matching("Finished"))
        if done:
            return time.monotonic(), done
        await asyncio.sleep(0.02)
    raise TimeoutError("the run did not finish")


def browser_visit(url) -> float:
    """Seconds for a real Chromium to show the trainer page (its Epoch line) from a cold start."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        t0 = time.monotonic()
        page.goto(url + "/shallow_network")
        page.locator("h3").filter(has_text=re.compile(r"^Epoch 0 / \d+$")).wait_for(timeout=120_000)
        elapsed = time.monotonic() - t0
        browser.close()
    return elapsed


async def classroom(url, n, repeats, base):
    # warm-up: workers and data caches
    c = await session(url)
    await train_until_finished(c)
    await c.close()

    singles = []
    for r in range(repeats):
        c = await session(url, seed=r)
        _, (steps, seconds, rate) = await train_until_finished(c)
        singles.append(rate)
        await c.close()
    one = statistics.median(singles)
    print(f"one session, in-app: {one:,.0f} steps/s = {one / base:.0%} of headless "
          f"(runs: {', '.join(f'{s:,.0f}' for s in singles)})")

    c = await session(url, epochs=5000)
    t0 = time.monotonic()
    t_end, (steps, seconds, rate) = await train_until_finished(c)
    redraws = sum(1 for t in c.chart_times if t0 < t <= t_end)
    print(f"one session, 5000 epochs: {rate:,.0f} steps/s = {rate / base:.0%} of headless; the chart was "
          f"redrawn {redraws} times in {t_end - t0:.1f} s = {redraws / (t_end - t0):.1f} per second")
    await c.close()

    for epochs in (500, 2000):
        clients = [await session(url, epochs=epochs, seed=i) for i in range(n)]
        t0 = time.monotonic()
        runs = [asyncio.create_task(train_until_finished(cl)) for cl in clients]
        await asyncio.sleep(0.3)
        visitor = Client(url, "shallow_network")
        visitor_wait = await visitor.open()
        browser_wait = await asyncio.to_thread(browser_visit, url) if epochs == 2000 else None
        still = sum(1 for r in runs if not r.done())
        results = await asyncio.gather(*runs)
        t_end = max(t for t, _ in results)
        total_steps = sum(r[0] for _, r in results)
        total = total_steps / (t_end - t0)
        own = sorted({r[0] for _, r in results})
        print(f"{n} sessions × {epochs} epochs at once: {len(results)}/{n} finished (steps each: {own}), "
              f"{total_steps:,} steps in {t_end - t0:.2f} s = {total:,.0f} steps/s in total = {total / one:.2f}× one session")
        print(f"  a ninth visitor, arriving while {still} were still training: first full page run in "
              f"{visitor_wait:.2f} s" + (f"; a real Chromium showed the page in {browser_wait:.2f} s"
                                          if browser_wait is not None else ""))
        await visitor.close()
        for cl in clients:
            await cl.close()


TOOK = re.compile(r"took (\d+) ms on the server")
QUEUED = re.compile(r"Finished after (\d+) epoch\(s\) in ([\d.]+) s \(queued ([\d.]+) s\)\. "
                    r"Peak memory of the training process: ([\d,]+) MB")


def draw_digits(url, browsers=2, strokes=6) -> list[float]:
    """Real Chromium pages draw digits on the MNIST page; returns the server-side milliseconds the page reports."""
    from playwright.sync_api import sync_playwright

    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = []
        for _ in range(browsers):
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t0 = time.monotonic()
            page.goto(url + "/mnist_classifier", timeout=180_000)
            page.locator("canvas.upper-canvas").first.wait_for(timeout=180_000)
            print(f"the MNIST page was ready to draw on in {time.monotonic() - t0:.1f} s", file=sys.stderr)
            pages.append(page)
        for k in range(strokes):
            for page in pages:
                canvas = page.locator("canvas.upper-canvas").first
                canvas.wait_for(timeout=120_000)
                box = canvas.bounding_box()
                x, top = box["x"] + box["width"] * (0.35 + 0.3 * (k % 2)), box["y"] + box["height"] * 0.15
                page.mouse.move(x, top)
                page.mouse.down()
                for i in range(1, 16):
                    page.mouse.move(x + (k % 3) * i, top + box["height"] * 0.7 * i / 15)
                page.mouse.up()
                caption = page.get_by_text(TOOK)
                caption.wait_for(timeout=60_000)
                times.append(float(TOOK.search(caption.inner_text()).group(1)))
                page.get_by_role("button", name="Clear").click()
                page.get_by_text(TOOK).wait_for(state="detached", timeout=60_000)
        browser.close()
    return times


async def mnist_class(url):
    """Two sessions press Train on the MNIST page at once while two browsers draw digits."""
    trainers = [Client(url, "mnist_classifier", "section=Train your own") for _ in range(2)]
    for c in trainers:
        await c.open(timeout=180)
    t0 = time.monotonic()
    for c in trainers:
        await c.click("Train")
    await asyncio.sleep(0.5)
    queued_seen = trainers[1].text_matching("Queued: 1 training ahead") is not None
    # the drawing browsers run in a process of their own (Playwright's sync API beside this event loop)
    drawn = await asyncio.to_thread(subprocess.run, [sys.executable, __file__, "--draw", url],
                                    capture_output=True, text=True, timeout=600)
    times = json.loads(drawn.stdout.strip().splitlines()[-1]) if drawn.returncode == 0 else []
    for line in drawn.stderr.splitlines():
        if line.startswith("the MNIST page was ready"):
            print("  " + line + " (while the trainings ran)")
    if drawn.returncode != 0:
        print("the drawing browsers failed:", drawn.stderr[-500:])
    results = []
    while len(results) < 2 and time.monotonic() - t0 < 600:
        results = [QUEUED.search(c.text_matching("Finished after") or "") for c in trainers]
        results = [r for r in results if r]
        await asyncio.sleep(0.2)
    print(f"MNIST page: two Keras trainings started together; the second showed 'Queued: 1 training ahead': "
          f"{queued_seen}")
    for i, r in enumerate(results):
        print(f"  training {i + 1}: {r.group(1)} epochs in {r.group(2)} s after waiting {r.group(3)} s in the queue; "
              f"training process peak memory {r.group(4)} MB")
    if times:
        print(f"  while they trained, {len(times)} drawn digits were read in {statistics.median(times):.0f} ms median, "
              f"{sorted(times)[int(0.9 * (len(times) - 1))]:.0f} ms at the 90th percentile, {max(times):.0f} ms at most "
              f"(server-side; all: {sorted(int(t) for t in times)})")
    for c in trainers:
        await c.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--sessions", type=int, default=8)
    ap.add_argument("--no-mnist", action="store_true", help="skip the MNIST page part")
    ap.add_argument("--draw", metavar="URL", help=argparse.SUPPRESS)  # internal: the drawing browsers
    args = ap.parse_args()
    if args.draw:
        print(json.dumps(draw_digits(args.draw)))
        return
    base = headless(args.repeats)
    print(f"headless Trainer, lesson run: {base:,.0f} steps/s (median of {args.repeats})")
    server = Server()
    try:
        asyncio.run(classroom(server.url, args.sessions, args.repeats, base))
        if not args.no_mnist:
            asyncio.run(mnist_class(server.url))
    finally:
        print(f"peak memory, server + workers: {server.peak_rss / 2**20:,.0f} MiB")
        server.close()


if __name__ == "__main__":
    main()
