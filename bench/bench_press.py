"""The press wave (issue 12): N students press Train at the same moment; how long until each page answers.

Starts the app (``streamlit run``, as ``bench_hall`` does), opens N protocol-level sessions
(``bench/st_client.py``) on the lesson's run (500 epochs, "as fast as possible"), and presses Train in all of
them at once. Printed: the seconds until each press was answered (the page saying queued or training: median,
90th percentile, last), the server's CPU seconds over the wave, and the elements (deltas) each press sent
against a whole page's (the sessions' first runs, measured in the same run). A run that queues reruns only the
trainer panel, a fragment; a run let in live reruns the whole page.

    python -m bench.bench_press                 # 100 students
    python -m bench.bench_press --students 300
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from bench.bench_hall import Server, open_sessions


async def wave(n: int):
    server = Server()
    try:
        warm = await open_sessions(server.url, 1, 500)  # the workers and the page's imports, before the class
        for c in warm:
            await c.close()
        clients = await open_sessions(server.url, n, 500)
        whole_page = statistics.median(c.deltas for c in clients)  # each session's first run: the whole page
        await asyncio.sleep(2)
        before = [c.deltas for c in clients]
        cpu0, t0 = server.cpu_seconds(), time.monotonic()

        async def press(c):
            await c.click("Train", timeout=600)
            return time.monotonic() - t0

        answered = await asyncio.gather(*(press(c) for c in clients))
        cpu, took = server.cpu_seconds() - cpu0, time.monotonic() - t0
        sent = [c.deltas - d for c, d in zip(clients, before, strict=True)]
        queued = sum(1 for c in clients if c.text_matching("Queued:"))
        p90 = statistics.quantiles(answered, n=10)[8]
        print(f"{n} presses ({queued} queued): answered in {statistics.median(answered):.2f} s median, "
              f"{p90:.2f} s p90, {max(answered):.2f} s the last; the server's CPU {cpu:.2f} s over those "
              f"{took:.2f} s; elements per press {statistics.median(sent):.0f} (median; up to the last answer, "
              f"live charts included) = {statistics.median(sent) / whole_page:.2f}× a whole page's "
              f"{whole_page:.0f}", flush=True)
        for c in clients:
            await c.close()
    finally:
        server.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--students", type=int, default=100)
    asyncio.run(wave(ap.parse_args().students))


if __name__ == "__main__":
    main()
