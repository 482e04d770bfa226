"""What one refresh of the class board costs the server, with 0, 30 and 100 runs in a room.

    .venv/bin/python -m bench.bench_board            # SQLite
    .venv/bin/python -m bench.bench_board --postgres # and a throwaway PostgreSQL (Debian's postgresql)

Per room size it prints the median of several repetitions of: the poll an idle board makes every 2 s
(``revision``: all an unchanged board costs), and what a change costs: reading the runs, building the table
and both figures, Plotly's validation + JSON encoding (what ``st.plotly_chart`` does), the JSON size sent to
each browser, and a whole run of the page under AppTest (the redraw). Compare rows with each other, not
with another machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import plotly.graph_objects as go

from nnviz.board import charts as board_charts
from nnviz.board import store as nb
from nnviz.core.settings import BATCH_SIZES, HIDDEN_UNITS, LEARNING_RATES, TrainerSettings
from nnviz.core.training import EpochRecord


def fill(b: nb.Board, n: int, epochs: int = 500) -> str:
    room, _ = b.open_room(f"bench-{n}-{time.time()}")
    for i in range(n):
        recs = [EpochRecord(e, e, 1 / e, 0.5 + 0.4 * e / epochs, 1.1 / e, 0.5 + 0.4 * e / epochs, 1.0)
                for e in range(1, epochs + 1)]
        s = TrainerSettings(dataset="moons", lr=LEARNING_RATES[i % 11], hidden=HIDDEN_UNITS[i % 12],
                            batch_size=BATCH_SIZES[i % 14], epochs=500, seed=i)
        b.share(room.code, f"s{i}", nb.shared_run(f"student {i}", s, recs))
    return room.code


def median_ms(fn, repeat=7) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def page_run_ms(url: str, code: str, repeat=5) -> float:
    from streamlit.testing.v1 import AppTest

    os.environ["NNVIZ_DATABASE_URL"] = url
    root = Path(__file__).resolve().parents[1]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=60)
    at.query_params["room"] = code
    at.switch_page("app_pages/class_board.py")
    at.run()
    assert not at.exception, at.exception
    return median_ms(at.run, repeat)


def bench(url: str, label: str):
    b = nb.Board(url)
    # Allow a big room for the bench (the limit is a policy, not what is measured here).
    nb.RUNS_PER_ROOM = 1000
    nb.SHARE_INTERVAL_S = 0
    print(f"\n{label}: ms per refresh (median)")
    print(f"{'runs':>5} {'poll':>7} {'read':>7} {'build':>7} {'encode':>8} {'KB sent':>8} {'page (AppTest)':>15}")
    for n in (0, 30, 100):
        code = fill(b, n)
        runs = b.runs(code)
        poll = median_ms(lambda c=code: b.revision(c))
        read = median_ms(lambda c=code: b.runs(c))

        def build(r=runs):
            return (board_charts.table_rows(r), board_charts.accuracy_figure(r), board_charts.loss_figure(r))

        build_ms = median_ms(build)
        _, acc, loss = build()
        encode = median_ms(lambda a=acc, lo=loss: (go.Figure(a).to_json(), go.Figure(lo).to_json()))
        size = (len(go.Figure(acc).to_json()) + len(go.Figure(loss).to_json())) / 1024
        page = page_run_ms(url, code)
        print(f"{n:>5} {poll:>7.2f} {read:>7.1f} {build_ms:>7.1f} {encode:>8.1f} {size:>8.0f} {page:>15.0f}")
    b.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("NNVIZ_WORKERS", "0")
    with tempfile.TemporaryDirectory() as tmp:
        bench(f"sqlite:///{tmp}/bench.sqlite3", "SQLite")
    if args.postgres:
        from cluster.postgres import TempPostgres

        with TempPostgres() as pg:
            bench(pg.url, "PostgreSQL")


if __name__ == "__main__":
    main()
