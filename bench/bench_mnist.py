"""The MNIST page's cost to the whole server, and its speed under load — ratios measured in one run.

Starts the app under ``tests/browser/serve_recording_modules.py`` (``streamlit run`` that writes the
server's ``sys.modules`` on SIGUSR1) and measures, in this order:

1. the Shallow network page's trainer (the lesson's run, 500 epochs, speed "max", protocol clients of
   ``bench/st_client.py``): steps/s as the page reports them, BEFORE anyone opened the MNIST page;
2. a real Chromium opens the MNIST page (fresh browser: seconds until the canvas is there), visits every
   section and draws digits: the server-side time per prediction (the page's caption) and the browser's
   round trip (mouse up → prediction shown);
3. the trainer again, AFTER the MNIST visit: the ratio after/before (a server that imported Keras slowed
   down every later script run — see issue 14);
4. under load: two sessions press Train on "Train your own" (the second queues) while fresh Chromium
   pages open the MNIST page and draw digits: page-ready seconds and prediction times (95th percentile);
5. whether the server process imported TensorFlow/Keras, and its peak resident memory (the server
   alone, and with its training processes).

    python -m bench.bench_mnist [--strokes 12] [--app-root DIR] [--keras-overhead]

``--app-root`` serves another checkout of the app (e.g. an older commit, for a before/after table) with
this bench. ``--keras-overhead`` also measures what streaming costs Keras per epoch (plain ``fit`` against
``fit`` with the page's callback), in this process. Targets (issue 12): a drawn digit ≤ 100 ms at the 95th
percentile while trainings run; the MNIST page ready within 3 s in a fresh browser while a training starts.
Timings on a shared machine are noisy: compare the ratios of one run, not numbers across runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil

from bench.st_client import Client
from tools.local import CHROMIUM, CHROMIUM_ARGS, free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]

RECORDER = ROOT / "tests" / "browser" / "serve_recording_modules.py"
LESSON_QUERY = "ds=lesson&hidden=10&lr=1&batch=100&epochs=500&speed=max&seed={seed}"
FINISHED = re.compile(r"Finished (\d+) epochs \(([\d,]+) steps\) in ([\d.]+) s of training — ([\d,]+) steps/s overall")
TOOK = re.compile(r"took (\d+) ms on the server")
SECTIONS = ["The network", "Train your own", "History experiment", "Evaluate", "NumPy twin", "Draw a digit"]


class Server:
    """The app under the module recorder, with a sampler of its resident memory."""

    def __init__(self, app_root: Path):
        self.port = free_port()
        self.modules_file = Path(f"/tmp/nnviz-bench-modules-{self.port}.txt")
        env = {k: v for k, v in os.environ.items() if k != "NNVIZ_WORKERS"} | {
            "NNVIZ_MODULES_OUT": str(self.modules_file)}
        self.proc = subprocess.Popen(
            [sys.executable, str(RECORDER), str(app_root / "app.py"), "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(self.port)],
            cwd=app_root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}"
        wait_healthy(self.url + "/_stcore/health", timeout=60, proc=self.proc)
        self.peak_server = self.peak_total = 0
        self._stop = threading.Event()
        threading.Thread(target=self._watch_memory, daemon=True).start()

    def _watch_memory(self):
        proc = psutil.Process(self.proc.pid)
        while not self._stop.is_set():
            try:
                own = proc.memory_info().rss
                self.peak_server = max(self.peak_server, own)
                self.peak_total = max(self.peak_total, own + sum(c.memory_info().rss
                                                                 for c in proc.children(recursive=True)))
            except psutil.Error:
                pass
            time.sleep(0.1)

    def imported_tensorflow(self) -> bool:
        self.modules_file.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR1)
        for _ in range(300):
            if self.modules_file.exists():
                names = self.modules_file.read_text().split()
                return any(n.split(".")[0] in ("tensorflow", "keras") for n in names)
            time.sleep(0.1)
        raise RuntimeError("the server did not write its modules")

    def close(self):
        self._stop.set()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.modules_file.unlink(missing_ok=True)


async def shallow_rate(url: str, seed: int) -> float:
    """The lesson's run on the Shallow network page, as the page reports it: steps/s overall."""
    client = Client(url, "shallow_network", LESSON_QUERY.format(seed=seed))
    await client.open(timeout=120)
    await client.click("Train", timeout=120)
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 600:
            m = FINISHED.search(client.text_matching("Finished") or "")
            if m:
                return float(m.group(4).replace(",", ""))
            await asyncio.sleep(0.05)
        raise TimeoutError("the lesson's run did not finish in 10 minutes")
    finally:
        await client.close()


def shallow_rates(url: str, runs: int) -> list[float]:
    return [asyncio.run(shallow_rate(url, seed)) for seed in range(runs)]


# ----------------------------------------------------------------------------- a real browser on the MNIST page


def open_mnist(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    t0 = time.monotonic()
    page.goto(url + "/mnist_classifier", timeout=300_000)
    page.locator("canvas.upper-canvas").first.wait_for(timeout=300_000)
    seconds = time.monotonic() - t0
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=300_000)
    return page, seconds


UNANSWERED_S = 30  # a stroke with no prediction after this long is counted as unanswered (and photographed)


def draw(page, k: int) -> tuple[float, float] | None:
    """One stroke; returns (server-side ms from the page's caption, browser round trip in ms), or None if no
    prediction came within ``UNANSWERED_S`` (a screenshot of the page goes to test-artifacts/)."""
    canvas = page.locator("canvas.upper-canvas").first
    box = None
    for _ in range(120):  # the canvas can be swapped out for a moment while the page reruns (a training starts)
        canvas.wait_for(timeout=120_000)
        box = canvas.bounding_box()
        if box is not None:
            break
        page.wait_for_timeout(250)
    if box is None:
        print(f"  stroke {k}: the canvas never stayed on the page", flush=True)
        return None
    x, top = box["x"] + box["width"] * (0.35 + 0.3 * (k % 2)), box["y"] + box["height"] * 0.15
    page.mouse.move(x, top)
    page.mouse.down()
    for i in range(1, 16):
        page.mouse.move(x + (k % 3) * i, top + box["height"] * 0.7 * i / 15)
    t0 = time.monotonic()
    page.mouse.up()
    caption = page.get_by_text(TOOK)
    try:
        caption.wait_for(timeout=UNANSWERED_S * 1000)
    except Exception:  # noqa: BLE001 - an unanswered stroke is a result: keep the page as the student saw it
        shot = ROOT / "test-artifacts" / f"bench-mnist-unanswered-{os.getpid()}-{k}.png"
        shot.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(shot), full_page=True)
        print(f"unanswered stroke {k}: {shot}", file=sys.stderr)
        page.get_by_role("button", name="Clear").click(timeout=300_000)
        return None
    round_trip = (time.monotonic() - t0) * 1000
    server = float(TOOK.search(caption.inner_text()).group(1))
    page.get_by_role("button", name="Clear").click(timeout=300_000)
    page.get_by_text(TOOK).wait_for(state="detached", timeout=120_000)
    return server, round_trip


def browse(url: str, strokes: int, visit_sections: bool, pages: int) -> dict:
    """Fresh Chromiums open the MNIST page (seconds until ready), optionally visit every section, and draw."""
    from playwright.sync_api import sync_playwright

    ready, server_ms, round_trip_ms, unanswered = [], [], [], 0
    with sync_playwright() as p:
        for n in range(pages):
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page, seconds = open_mnist(browser, url)
            ready.append(seconds)
            if visit_sections and n == 0:
                for section in SECTIONS:
                    page.get_by_role("radio", name=section, exact=True).click(timeout=300_000)
                    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                           timeout=300_000)
            for k in range(strokes):
                answer = draw(page, k)
                if answer is None:
                    unanswered += 1
                    continue
                server_ms.append(answer[0])
                round_trip_ms.append(answer[1])
            browser.close()
    return {"ready_s": ready, "server_ms": server_ms, "round_trip_ms": round_trip_ms, "unanswered": unanswered}


def browse_in_subprocess(url: str, strokes: int, visit_sections: bool, pages: int) -> dict:
    """Playwright's sync API in a process of its own (it cannot share this process's event loop)."""
    done = subprocess.run([sys.executable, "-m", "bench.bench_mnist", "--browse", url, "--strokes", str(strokes), "--pages", str(pages)]
                          + (["--sections"] if visit_sections else []), capture_output=True, text=True, timeout=3600, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"the browser part failed: {done.stderr[-800:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


async def under_load(url: str, strokes: int) -> tuple[dict, list[str]]:
    """Two sessions press Train on the MNIST page; meanwhile fresh browsers open the page and draw."""
    trainers = [Client(url, "mnist_classifier", "section=Train your own") for _ in range(2)]
    for c in trainers:
        await c.open(timeout=300)
    for c in trainers:
        await c.click("Train", timeout=120)
    await asyncio.sleep(1.0)
    states = [("queued" if c.text_matching("Queued:") else "training") for c in trainers]
    result = await asyncio.to_thread(browse_in_subprocess, url, strokes, False, 3)
    for c in trainers:  # their tabs close: the queue drops or stops their trainings
        await c.close()
    return result, states


def summary(values, unit: str) -> str:
    v = np.asarray(values, dtype=float)
    if not v.size:
        return "none answered"
    return (f"median {np.median(v):.0f} {unit}, 95th percentile {np.percentile(v, 95):.0f} {unit}, "
            f"max {v.max():.0f} {unit} (n={v.size})")


def keras_overhead(epochs: int):
    """What streaming costs Keras: plain fit against fit with the page's callback, epochs alternating."""
    import tempfile

    import nnviz.mnist.keras_model as km
    from nnviz.mnist.data import load_mnist
    from nnviz.serving.jobs import JobProgress, Reporter

    (x_train, y_train), _ = load_mnist()
    X, Y = km.preprocess(x_train, y_train)
    model = km.build_model(seed=0)
    model.fit(X[:1280], Y[:1280], epochs=1, batch_size=128, verbose=0)  # warm-up: tracing
    plain, streamed = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(epochs):
            for store, callbacks in ((plain, []), (streamed, [km.LiveHistory(Reporter(tmp, JobProgress(epochs=1)))])):
                t = time.perf_counter()
                model.fit(X, Y, epochs=1, batch_size=128, verbose=0, callbacks=callbacks)
                store.append(time.perf_counter() - t)
    p, s = statistics.median(plain), statistics.median(streamed)
    print(f"Keras, 60,000 images, batch 128: plain fit {p:.2f} s/epoch, with the page's stream {s:.2f} s/epoch "
          f"({s / p - 1:+.1%}; median of {epochs} each, alternating)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--strokes", type=int, default=12, help="digits drawn per browser page")
    ap.add_argument("--runs", type=int, default=2, help="lesson runs on the Shallow page, before and after")
    ap.add_argument("--app-root", type=Path, default=ROOT, help="the checkout whose app.py is served")
    ap.add_argument("--keras-overhead", type=int, metavar="EPOCHS", default=0)
    ap.add_argument("--browse", metavar="URL", help=argparse.SUPPRESS)  # internal: the browser part
    ap.add_argument("--pages", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--sections", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.browse:
        print(json.dumps(browse(args.browse, args.strokes, args.sections, args.pages)))
        return
    print(f"serving {args.app_root} — {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    server = Server(args.app_root.resolve())
    try:
        before = shallow_rates(server.url, args.runs)
        visit = browse_in_subprocess(server.url, args.strokes, True, 1)
        after = shallow_rates(server.url, args.runs)
        b, a = statistics.median(before), statistics.median(after)
        print(f"Shallow network page, the lesson's run: {b:,.0f} steps/s before an MNIST visit, {a:,.0f} after "
              f"= {a / b:.2f}× (runs: {[round(x) for x in before]} → {[round(x) for x in after]})")
        print(f"MNIST page, first visit on a fresh server: ready in {visit['ready_s'][0]:.1f} s; drawn digits, "
              f"server-side {summary(visit['server_ms'], 'ms')}; browser round trip "
              f"{summary(visit['round_trip_ms'], 'ms')}; unanswered strokes: {visit['unanswered']}")
        loaded, states = asyncio.run(under_load(server.url, args.strokes))
        print(f"while two Keras trainings ran ({' + '.join(states)}): fresh browsers had the MNIST page ready in "
              f"{', '.join(f'{s:.1f}' for s in loaded['ready_s'])} s; drawn digits, server-side "
              f"{summary(loaded['server_ms'], 'ms')}; browser round trip {summary(loaded['round_trip_ms'], 'ms')}; "
              f"strokes without a prediction after {UNANSWERED_S} s: {loaded['unanswered']}")
        print(f"the server process imported TensorFlow/Keras: {server.imported_tensorflow()}")
    finally:
        print(f"peak resident memory: server process {server.peak_server / 2**20:,.0f} MiB; with its training "
              f"processes {server.peak_total / 2**20:,.0f} MiB; load average {os.getloadavg()[0]:.1f} at the end")
        server.close()
    if args.keras_overhead:
        keras_overhead(args.keras_overhead)


if __name__ == "__main__":
    main()
