"""A lecture hall on one server (issue 12): 8, 30, 100 and 300 students train at once.

Starts the app (``streamlit run``, default worker pool) and, for each number of students,
opens that many protocol-level sessions (``bench/st_client.py``: they send what a
browser's Streamlit frontend sends and render nothing) on the lesson's run at speed
"as fast as possible" — 2,000 epochs each up to 100 students, 500 epochs beyond — and
presses Train in all of them at once. Meanwhile a late visitor opens the front page in a
real Chromium. Printed per row:

- all finish?      how many runs showed the finish message, and the wall clock from the
                   first Train press to the last finish;
- throughput       total steps / that wall clock, against one session alone measured in
                   the same run (its own wall clock, Train to Finished, same epochs);
- press answered   seconds from the simultaneous Train presses until each page answered (its run
                   queued or training): the median and the last;
- late visitor     seconds until a real Chromium shows the front page (its launch excluded; the
                   teacher's browser opened it once before the class): one
                   arriving in the presses' wave (up to 5 s after them), and a second one
                   arriving once the wave is over (20 s after them), if the row still runs.
                   A visitor's browser runs on the visitor's computer; here it shares the
                   server's cores, so it runs at nice 19 (``--visitor-nice``), as the training
                   workers do: it takes no CPU from the server, and its own wait errs long (it
                   competes with the training for the rest). At nice 0 it took CPU from the
                   server while it loaded the page: 100 students, the same evening, the longest
                   chart gap began as the second visitor arrived, 3.6 / 4.3 s at nice 0 and
                   1.7 / 1.9 s at nice 19, the visitor's waits alike (1.7 / 2.5 s and 2.3 / 2.3 s);
- chart updates    per playing session per second (median over sessions), and the longest
                   gap between two updates any session saw while its run played (when, after
                   the presses), and the longest that began after the first 15 s (the presses'
                   wave of whole pages is sent by then);
- queued           how many runs waited in the queue, and the longest wait;
- server memory    peak resident memory of the server process (workers separately).

    python -m bench.bench_hall                       # 8,30,100,300 (from the checkout's root)
    python -m bench.bench_hall --students 8,30 --profile /tmp/prof
    python -m bench.bench_hall --students 300 --replicas 2   # behind HAProxy (``make cluster``'s set-up)

``--replicas N`` runs the app as ``make cluster`` does: N ``streamlit run`` processes (each with its own
training workers and its own admission) behind HAProxy, sharing a throwaway PostgreSQL; the server columns
then add up the replicas. ``--replicas 1`` is the lecture-hall set-up on 2 cores (``make cluster REPLICAS=1``):
one replica, the app's files served from HAProxy's cache.

``--vanishing N`` and ``--hog N`` put hostile clients beside the class (issue 32): N tabs that press Train on endless
runs and vanish 5 s after the class's presses (their sockets dropped without a close), and one client (its own
address) holding N heavy tabs (hidden 512, batch 1, 5000 epochs) that pressed Train before the class came. Each
student then connects from an address of its own (127.0.x.y: places are shared per client, and a student is one),
and each row is run twice: the class alone, then with the hostile clients — every student must finish, none wait
longer than the class alone did (its fair share of the queue), and the late visitor's page must come within 3 s.
Rows print the hog's live places (most and median while students waited) and the server's runs at the end.

``--profile DIR`` records the server with py-spy (``pip install py-spy``; ``--gil``: only the thread
holding the GIL is sampled) during each row into DIR/server-<n>.raw, and prints the functions that
held the GIL longest (inclusive share of the samples).
Ratios within one run are the result; absolute times move with the machine's load.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import re
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.st_client import Client
from tools.local import CHROMIUM, CHROMIUM_ARGS, free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]

QUERY = "ds=lesson&hidden=10&lr=1&batch=100&epochs={epochs}&speed=max&seed={seed}"
HEAVY = "ds=lesson&hidden=512&lr=1&batch=1&epochs=5000&speed=max&seed={seed}"  # the hog's tabs: never finish
ENDLESS = "ds=lesson&hidden=10&lr=1&batch=1&epochs=5000&speed=max&seed={seed}"  # the vanishing tabs' runs
HOG_ADDRESS = "127.0.9.1"
VANISH_AFTER_S = 5.0
FINISHED = re.compile(r"Finished (\d+) epochs \(([\d,]+) steps\) in ([\d.]+) s of training — ([\d,]+) steps/s overall")
QUEUED = "Queued:"


class Server:
    """``streamlit run app.py`` with its worker pool; watches its peak memory."""

    def __init__(self):
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
             "--server.address", "127.0.0.1", "--server.port", str(self.port)],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env={k: v for k, v in os.environ.items() if k != "NNVIZ_WORKERS"},
        )
        self.url = f"http://127.0.0.1:{self.port}"
        wait_healthy(self.url + "/_stcore/health", timeout=60, proc=self.proc)
        self.ps = psutil.Process(self.proc.pid)
        self.reset_peaks()
        self._stop = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def reset_peaks(self):
        self.peak_server = self.peak_workers = 0

    def cpu_seconds(self) -> float:
        t = self.ps.cpu_times()
        return t.user + t.system

    def worker_cpu_seconds(self) -> float:
        """CPU seconds of the server's child processes (the training workers) so far."""
        total = 0.0
        for child in self.ps.children(recursive=True):
            try:
                t = child.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def _watch(self):
        while not self._stop.is_set():
            try:
                self.peak_server = max(self.peak_server, self.ps.memory_info().rss)
                self.peak_workers = max(self.peak_workers, sum(c.memory_info().rss
                                                               for c in self.ps.children(recursive=True)))
            except psutil.Error:
                pass
            time.sleep(0.1)

    def close(self):
        self._stop.set()
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class ClusterServer(Server):
    """``make cluster``'s set-up (cluster/run.py): N replicas behind HAProxy; the same measures, summed."""

    def __init__(self, replicas: int):
        from cluster.run import Cluster

        self.cluster = Cluster(free_port(), replicas, keep_database=False).start()
        self.url = self.cluster.url
        self.replica_ps = [psutil.Process(proc.pid) for _, proc in self.cluster.replicas.values()]
        self.proc = next(iter(self.cluster.replicas.values()))[1]  # py-spy records the first replica
        self.reset_peaks()
        self._stop = threading.Event()
        threading.Thread(target=self._watch, daemon=True).start()

    def _each(self, f) -> float:
        total = 0.0
        for ps in self.replica_ps:
            try:
                total += f(ps)
            except psutil.Error:
                pass
        return total

    def cpu_seconds(self) -> float:
        return self._each(lambda ps: sum(ps.cpu_times()[:2]))

    def worker_cpu_seconds(self) -> float:
        return self._each(lambda ps: sum(sum(c.cpu_times()[:2]) for c in ps.children(recursive=True)))

    def _watch(self):
        while not self._stop.is_set():
            self.peak_server = max(self.peak_server, self._each(lambda ps: ps.memory_info().rss))
            self.peak_workers = max(self.peak_workers, self._each(
                lambda ps: sum(c.memory_info().rss for c in ps.children(recursive=True))))
            time.sleep(0.1)

    def close(self):
        self._stop.set()
        self.cluster.stop()


def finished(client) -> tuple[int, float] | None:
    m = FINISHED.search(client.text_matching("Finished") or "")
    return None if m is None else (int(m.group(2).replace(",", "")), float(m.group(3)))


def student_address(i: int) -> str:
    """A student's own loopback address (127.0.1.1 … ): one client each, as on their own devices."""
    return f"127.0.{1 + i // 250}.{1 + i % 250}"


async def open_sessions(url, n, epochs, seed0=0, concurrency=8, query=QUERY, source=None):
    """``n`` tabs of the Shallow network page; ``source(i)`` gives the i-th its local address (None: 127.0.0.1)."""
    sem = asyncio.Semaphore(concurrency)

    async def one(i):
        async with sem:
            c = Client(url, "shallow_network", query.format(epochs=epochs, seed=seed0 + i), watch=(QUEUED,),
                       source=source(i) if source else None)
            await c.open(timeout=600)
            return c

    return await asyncio.gather(*(one(i) for i in range(n)))


def nnviz_metrics(url: str) -> dict[str, int]:
    """The server's ``nnviz`` numbers (``/_stcore/metrics``; ui/server.py), or {} if it has none."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/metrics?families=nnviz", timeout=10) as r:
            text = r.read().decode()
    except OSError:
        return {}
    return {line.split('"')[1]: int(line.split()[-1]) for line in text.splitlines() if line.startswith('nnviz{what="')}


async def hostile_clients(url, vanishing: int, hog: int):
    """The hog's heavy tabs, pressed before the class comes, and the tabs that will vanish, pressed too."""
    hogs = await open_sessions(url, hog, 0, seed0=500, query=HEAVY, source=lambda i: HOG_ADDRESS) if hog else []
    await asyncio.gather(*(c.click("Train", timeout=600) for c in hogs))
    gone = await open_sessions(url, vanishing, 0, seed0=700, query=ENDLESS,
                               source=lambda i: f"127.0.8.{i + 1}") if vanishing else []
    await asyncio.gather(*(c.click("Train", timeout=600) for c in gone))
    return hogs, gone


@dataclass
class Outcome:
    client: Client
    pressed: float
    done_at: float | None = None
    steps: int = 0
    reloads: int = 0  # times the page was left without a timer and run again
    answered: float | None = None  # seconds from the press to the page's answer (queued, or training)


async def press_and_wait(client, timeout) -> Outcome:
    out = Outcome(client, time.monotonic())
    await client.click("Train", timeout=timeout)
    out.answered = time.monotonic() - out.pressed
    idle_since = None
    while time.monotonic() - out.pressed < timeout:
        done = finished(client)
        if done:
            out.done_at, out.steps = time.monotonic(), done[0]
            break
        # a page that shows its run training or queued but has no fragment timer would never poll again (seen
        # now and then with 30+ sessions); a student would reload it. A page back at "ready" (its run lost its
        # place in the queue) is not reloaded: it would need Train again, and is counted as unfinished.
        state = next((t for t in client.texts if t.startswith("step ")), "")  # "step 1,234 · training…"
        stuck = not client.fragments and ("training…" in state or "queued" in state)
        idle_since = (idle_since or time.monotonic()) if stuck else None
        if idle_since and time.monotonic() - idle_since > 5:
            out.reloads += 1
            idle_since = None
            await client.refresh()
        await asyncio.sleep(0.05)
    return out


#: In the visitor's page before the app's own scripts: when the page's websocket was created and opened, and when
#: its first and latest messages arrived (browser time), to tell a server that answers late from a browser that
#: draws late.
WS_TIMELINE_JS = """(() => {
    const Native = window.WebSocket, seen = window.__nnvizWs = {created: null, open: null, first: null, last: null, n: 0};
    class Timed extends Native {
        constructor(...args) {
            super(...args);
            seen.created = performance.now();
            this.addEventListener('open', () => { seen.open = performance.now(); });
            this.addEventListener('message', () => {
                const now = performance.now();
                if (seen.first === null) seen.first = now;
                seen.last = now;
                seen.n += 1;
            });
        }
    }
    window.WebSocket = Timed;
})();"""


def ws_s(ws: dict, key: str) -> str:
    return "?" if ws.get(key) is None else f"{ws[key] / 1000:.1f} s"


#: The visitors' browsers' nice level (``--visitor-nice``; see the module's docstring).
VISITOR_NICE = 19


@functools.cache
def niced_chromium(nice: int) -> str:
    """Chromium's path, or a script that starts it at ``nice`` (every process it starts inherits the level), in
    a directory of this run's own."""
    if nice <= 0:
        return CHROMIUM
    script = Path(tempfile.mkdtemp(prefix="nnviz-bench-")) / "chromium"
    script.write_text(f"#!/bin/sh\nexec nice -n {int(nice)} {shlex.quote(CHROMIUM)} \"$@\"\n")
    script.chmod(0o700)
    return str(script)


def browser_visit(url, timeout_s=120.0, who: str = "late visitor", nice: int = VISITOR_NICE) -> float | None:
    """Seconds for a real Chromium (already launched, at ``nice``) to show the front page; None if it never did."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=niced_chromium(nice), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.add_init_script(WS_TIMELINE_JS)
            t0 = time.monotonic()
            page.goto(url + "/", timeout=timeout_s * 1000)
            page.get_by_text("A network learning XOR").wait_for(timeout=timeout_s * 1000)
            seconds = time.monotonic() - t0
            # where the wait went, as the browser timed it: the HTML, the app's files, then the page itself
            # (the websocket, the script's run and its messages)
            t = page.evaluate("""() => {
                const n = performance.getEntriesByType('navigation')[0];
                const files = performance.getEntriesByType('resource').filter(e => !e.name.includes('_stcore'));
                const first = files.filter(e => e.startTime < n.responseEnd + 1000);
                const late = files.filter(e => e.startTime >= n.responseEnd + 1000)
                                  .sort((a, b) => a.startTime - b.startTime).slice(0, 3)
                                  .map(e => `${e.name.split('/').pop().slice(0, 30)} asked at ${(e.startTime / 1000).toFixed(1)} s`);
                return {html: n.responseEnd, files: Math.max(0, ...first.map(e => e.responseEnd)), n: first.length,
                        late: late, shown: performance.now(), ws: window.__nnvizWs};
            }""")
            ws = t["ws"] or {}
            print(f"  {who}: HTML at {t['html'] / 1000:.1f} s, the app's first {t['n']} files by "
                  f"{t['files'] / 1000:.1f} s, then {'; '.join(t['late']) or 'no more files'}; "
                  f"the websocket asked at {ws_s(ws, 'created')}, open at {ws_s(ws, 'open')}, its first message "
                  f"at {ws_s(ws, 'first')}, {ws.get('n', 0)} messages by {ws_s(ws, 'last')}; "
                  f"the page shown at {t['shown'] / 1000:.1f} s", flush=True)
            return seconds
        except Exception:  # noqa: BLE001 - a visitor who got no page is a result, not a crash
            return None
        finally:
            browser.close()


def playing_window(o: Outcome) -> tuple[float, float] | None:
    """From the moment the run left the queue (or was pressed) to its finish."""
    if o.done_at is None:
        return None
    queued = [t for t in o.client.marks[QUEUED] if t <= o.done_at]
    return (max(queued) if queued else o.pressed), o.done_at


#: The first seconds after every student pressed Train at once: each press reran a whole page (~70 messages; since
#: the trainer panel is a fragment, ~30 for a run that queues), and Streamlit's send loop works through them while
#: the first runs play (issue 12, 2026-12-04: in 19 runs of 100 students × 500 epochs every chart gap over 2 s
#: began 2–10 s after the presses; after 15 s none passed 1.3 s).
PRESS_WAVE_S = 15.0


def chart_stats(outcomes, t0: float):
    """Median chart updates per second of play; the longest gap any session saw, with where in its run ("mid-run",
    or "before the finish" for the wait from the last chart to the page that says Finished) and when after the
    presses at ``t0``; and the longest gap that began after the first ``PRESS_WAVE_S`` seconds."""
    rates, worst_gap, where, later = [], 0.0, "", 0.0
    for o in outcomes:
        win = playing_window(o)
        if win is None:
            continue
        start, end = win
        times = [t for t in o.client.chart_times if start < t <= end]
        if not times:
            continue
        # playing: from the run's first chart (a run left the queue when its page next polled, ≤ 2–5 s after
        # it was admitted, which counts as its wait in the queue) to its finish
        start = times[0]
        if end - start > 0.5:
            rates.append(len(times) / (end - start))
        edges = [*times, end]
        gaps = [b - a for a, b in zip(edges, edges[1:], strict=False)]
        later = max([later] + [g for g, a in zip(gaps, edges, strict=False) if a - t0 > PRESS_WAVE_S])
        i = max(range(len(gaps)), key=gaps.__getitem__)
        if gaps[i] > worst_gap:
            worst_gap = gaps[i]
            where = "before the finish" if i == len(gaps) - 1 else f"mid-run, at {times[i] - start:.0f} s of {end - start:.0f} s"
            where += f", {edges[i] - t0:.0f} s after the presses"
    return (statistics.median(rates) if rates else 0.0), worst_gap, where, later


async def one_session(url, epochs, repeats=2) -> float:
    rates = []
    for r in range(repeats):
        (c,) = await open_sessions(url, 1, epochs, seed0=1000 + r)
        o = await press_and_wait(c, timeout=600)
        await c.close()
        rates.append(o.steps / (o.done_at - o.pressed))
    return statistics.median(rates)


async def hall(server, n, epochs, single, timeout, profile_dir, profile_seconds=0.0, visitor_nice=VISITOR_NICE,
               vanishing=0, hog=0, own_addresses=False):
    url = server.url
    clients = await open_sessions(url, n, epochs, source=student_address if own_addresses else None)
    hogs, gone = await hostile_clients(url, vanishing, hog)
    server.reset_peaks()
    spy = None
    if profile_dir:
        spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(server.proc.pid), "--format", "raw", "--rate", "50",
                                "--output", str(Path(profile_dir) / f"server-{n}.raw"), "--nonblocking", "--gil"]
                               + (["--duration", str(int(profile_seconds))] if profile_seconds else []),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    me = psutil.Process()
    cpu0, wcpu0, t0 = server.cpu_seconds(), server.worker_cpu_seconds(), time.monotonic()
    mine0 = sum(me.cpu_times()[:2])
    tasks = [asyncio.create_task(press_and_wait(c, timeout)) for c in clients]
    hog_places = []  # the hog's live places, sampled while students wait

    async def watch_hog():
        while not all(t.done() for t in tasks):
            if any(c.text_matching(QUEUED) and not finished(c) and "queued" in state_line(c) for c in clients):
                hog_places.append(sum("training…" in state_line(c) for c in hogs))
            await asyncio.sleep(1.0)

    async def vanish():
        await asyncio.sleep(VANISH_AFTER_S)
        for c in gone:
            c.abort()  # no close handshake: a laptop shut mid-run

    side = [asyncio.create_task(watch_hog()), asyncio.create_task(vanish())] if (hogs or gone) else []
    await asyncio.sleep(min(5.0, 0.05 * n + 1.0))  # the crowd is training: now the late visitor arrives
    visit = await asyncio.to_thread(browser_visit, url, nice=visitor_nice)
    # a second visitor once the presses' wave is sent, while the class still trains (if it does)
    await asyncio.sleep(max(0.0, t0 + PRESS_WAVE_S + 5.0 - time.monotonic()))
    after = "" if all(t.done() for t in tasks) else await asyncio.to_thread(
        browser_visit, url, who=f"visitor {PRESS_WAVE_S + 5:.0f} s after the presses", nice=visitor_nice)
    outcomes = await asyncio.gather(*tasks)
    for task in side:
        task.cancel()
    cpu, wcpu = server.cpu_seconds() - cpu0, server.worker_cpu_seconds() - wcpu0
    mine = sum(me.cpu_times()[:2]) - mine0  # the students' clients run here too: CPU a real class would not take
    measured = time.monotonic() - t0  # the CPU columns cover the whole row (to its last finish, or its cut-off)
    if spy is not None:
        spy.send_signal(2)
        try:
            spy.wait(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
        raw = Path(profile_dir) / f"server-{n}.raw"
        if raw.exists():
            print(f"  where the server's GIL went with {n} students:\n{profile_summary(raw)}", flush=True)
    done = [o for o in outcomes if o.done_at is not None]
    t_end = max((o.done_at for o in done), default=time.monotonic())
    wall = t_end - t0
    total = sum(o.steps for o in done) / wall
    rate, gap, gap_where, gap_later = chart_stats(done, t0)
    updates = sum(len([t for t in o.client.chart_times if t >= t0]) for o in outcomes)
    waits = [playing_window(o)[0] - o.pressed for o in done if o.client.marks[QUEUED]]
    queued = len(waits)
    mb = 2 ** 20
    row = {
        "students": n, "epochs": epochs, "finished": f"{len(done)}/{n} in {wall:.1f} s",
        "ratio": f"{total / single:.2f}× ({total:,.0f} vs {single:,.0f} steps/s)",
        "visitor": ("no page in 120 s" if visit is None else f"{visit:.1f} s")
                   + ("" if after == "" else " (after the wave: "
                      + ("no page in 120 s" if after is None else f"{after:.1f} s") + ")"),
        "charts": f"{rate:.1f} (longest gap {gap:.1f} s{', ' + gap_where if gap_where else ''}; "
                  f"after the first {PRESS_WAVE_S:.0f} s: {gap_later:.1f} s)",
        "queued": f"{queued} (longest wait {max(waits):.0f} s)" if waits else "0",
        "answered": press_answers(outcomes),
        "memory": f"{server.peak_server / mb:,.0f} MiB (+ workers {server.peak_workers / mb:,.0f} MiB)",
        "reloads": f"{sum(o.reloads > 0 for o in outcomes)} pages reloaded ({sum(o.reloads for o in outcomes)} times)",
        "server_cpu": f"{cpu / measured:.0%} of a core, {1000 * cpu / max(updates, 1):.1f} ms per chart update",
        "workers_cpu": f"{wcpu / measured:.2f} cores",
        "clients_cpu": f"{mine / measured:.2f} cores",
        "chart_kb": f"{statistics.median(o.client.chart_bytes / max(1, len(o.client.chart_times)) for o in outcomes) / 1024:.1f}",
        "hostile": (f"{len(gone)} vanished, a hog with {len(hogs)} tabs" if hogs or gone else "none"),
        "hog_places": (f"{max(hog_places)} / {statistics.median(hog_places):.0f}" if hog_places else "–"),
        "longest_wait": max(waits) if waits else 0.0,
        "visit_s": visit,
    }
    for o in outcomes:
        if o.done_at is None:  # what an unfinished run's page said last
            last_sent = max(o.client.sent_times, default=0) - t0
            last_chart = max(o.client.chart_times, default=0) - t0
            print(f"  unfinished: {[t[:50] for t in o.client.texts if 'Epoch' in t or 'step ' in t or ':' in t][-3:]}; "
                  f"last rerun sent at {last_sent:.0f} s, last chart at {last_chart:.0f} s, timers {o.client.fragments}",
                  flush=True)
    own = sorted({o.steps for o in done})
    print(f"  {n} students: steps per run {own[:3]}{'…' if len(own) > 3 else ''}; server CPU {row['server_cpu']}; "
          f"training workers {row['workers_cpu']}; the {n} clients {row['clients_cpu']}; median chart spec {row['chart_kb']} KB; {row}", flush=True)
    for c in clients + hogs:
        await c.close()
    if hogs or gone:
        await asyncio.sleep(3)
        left = nnviz_metrics(url)
        row["server_after"] = (f"{left.get('playing_runs', '?')} runs playing, {left.get('active_sessions', '?')} "
                               f"sessions connected" if left else "–")
        print(f"  after the row: {left}", flush=True)
    return row


def state_line(client) -> str:
    return next((t for t in reversed(client.texts) if t.startswith("step ")), "")


def press_answers(outcomes) -> str:
    """How long the students waited for their Train press to be answered (the page saying queued or training):
    the median and the last of the wave."""
    times = [o.answered for o in outcomes if o.answered is not None]
    if not times:
        return "none answered"
    return f"{statistics.median(times):.1f} s (last {max(times):.1f} s)"


def profile_summary(path: Path, top: int = 18) -> str:
    """The functions of a py-spy raw profile with the largest inclusive share of its samples."""
    incl, total = {}, 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, n = line.rpartition(" ")
        if not stack or not n.isdigit():  # py-spy --nonblocking can write a garbled line; it is one sample of many
            continue
        total += int(n)
        for name in {re.sub(r" \((?:.*site-packages/|.*/)?(.*?):\d+\)$", r" (\1)", f) for f in stack.split(";")}:
            incl[name] = incl.get(name, 0) + int(n)
    rows = sorted(incl.items(), key=lambda kv: -kv[1])
    wanted = [(k, v) for k, v in rows if any(s in k for s in ("shallow_network", "nnviz/", "plotly", "forward_msg",
                                                               "app_session", "(runner.py)", "(charts.py)", "(downsample.py)", "(admission.py)"))]
    return "\n".join(f"    {v / max(total, 1):6.1%} {k}" for k, v in wanted[:top])


def print_table(rows):
    head = ("students", "hostile clients", "all finish?", "total steps/s vs one session",
            "Train press answered (median, last)", "late visitor (real browser)", "chart updates / session / s",
            "queued", "hog's live places while students wait (most / median)", "server peak memory", "pages reloaded")
    print("\n| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print(f"| {r['students']} ({r['epochs']} epochs) | {r['hostile']} | {r['finished']} | {r['ratio']} | "
              f"{r['answered']} | {r['visitor']} | {r['charts']} | {r['queued']} | {r['hog_places']} | {r['memory']} | "
              f"{r['reloads']} |")
    hostile = [r for r in rows if r["hostile"] != "none"]
    for r in hostile:
        alone = next((a for a in rows if a["hostile"] == "none" and a["students"] == r["students"]), None)
        checks = [("every student finished", r["finished"].split("/")[0] == r["finished"].split("/")[1].split()[0]),
                  ("the late visitor's page within 3 s", r["visit_s"] is not None and r["visit_s"] <= 3.0)]
        if alone is not None:
            checks.append((f"no student waited longer than with the class alone ({r['longest_wait']:.0f} s vs "
                           f"{alone['longest_wait']:.0f} s)", r["longest_wait"] <= alone["longest_wait"] * 1.1 + 5))
        print(f"{r['students']} students beside {r['hostile']}: "
              + "; ".join(f"{what}: {'yes' if ok else 'NO'}" for what, ok in checks))


async def main_async(args):
    server = ClusterServer(args.replicas) if args.replicas else Server()
    rows = []
    try:
        # warm-up: workers, data caches, the page's imports (of every replica: the balancer takes turns)
        warm = await open_sessions(server.url, max(1, args.replicas), 500)
        await asyncio.gather(*(press_and_wait(c, 300) for c in warm))
        for c in warm:
            await c.close()
        # the teacher opened the front page before the class came: the server has run it once (and, behind
        # HAProxy, its cache holds the app's files), as any server a class meets has
        await asyncio.to_thread(browser_visit, server.url, who="the teacher's visit before the class",
                                nice=args.visitor_nice)
        singles = {}
        for n in args.students:
            epochs = args.epochs if args.epochs else (2000 if n <= 100 else 500)
            if epochs not in singles:
                singles[epochs] = await one_session(server.url, epochs)
                print(f"one session, {epochs} epochs: {singles[epochs]:,.0f} steps/s (wall clock, Train to Finished)",
                      flush=True)
            hostile = bool(args.vanishing or args.hog)
            row = functools.partial(hall, server, n, epochs, singles[epochs], args.timeout, args.profile,
                                    args.profile_seconds, args.visitor_nice, own_addresses=hostile)
            # with hostile clients, also the class alone (each student on an address of its own): the fair share to
            # compare with, before or after (--hostile-first: the server's state carries over from one row to the next)
            if hostile and not args.hostile_first:
                rows.append(await row())
            rows.append(await row(vanishing=args.vanishing, hog=args.hog))
            if hostile and args.hostile_first:
                rows.append(await row())
    finally:
        server.close()
        print_table(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=lambda s: [int(x) for x in s.split(",")], default=[8, 30, 100, 300],
                    help="comma-separated numbers of students (default 8,30,100,300)")
    ap.add_argument("--epochs", type=int, default=0, help="epochs per run (default 2000 up to 100 students, else 500)")
    ap.add_argument("--timeout", type=float, default=900, help="seconds a row may take before it is cut off")
    ap.add_argument("--profile", metavar="DIR", help="record the server with py-spy into DIR")
    ap.add_argument("--profile-seconds", type=float, default=0,
                    help="record only the first N seconds of each row (e.g. the crowd's Train presses)")
    ap.add_argument("--replicas", type=int, default=0, help="N app processes behind HAProxy (default: one, no balancer)")
    ap.add_argument("--visitor-nice", type=int, default=VISITOR_NICE,
                    help="nice level of the visitors' Chromium (default 19; 0: as the server)")
    ap.add_argument("--vanishing", type=int, default=0,
                    help="tabs that press Train on endless runs and vanish mid-run (no close handshake)")
    ap.add_argument("--hog", type=int, default=0,
                    help="heavy tabs (hidden 512, batch 1, 5000 epochs) of one client, pressed before the class")
    ap.add_argument("--hostile-first", action="store_true",
                    help="with hostile clients, run their row before the class alone (default: after)")
    args = ap.parse_args()
    if args.profile:
        Path(args.profile).mkdir(parents=True, exist_ok=True)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
