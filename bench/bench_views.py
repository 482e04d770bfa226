"""What one redraw of issue 31's live views costs the server and the wire, beside the decision boundary's.

For each view, on a trained network: the spec's size (JSON, sent with every redraw but mounted once), the
data's size as Streamlit sends it (Arrow IPC, one stream per named dataset), and the server's time to build
one redraw — the data from the current weights plus their conversion to Arrow (``live_chart.drawn_often``) —
as the median of ``--rounds`` builds, with its ratio to the decision boundary's redraw (60 × 60 cells,
``live_views.boundary_spec``) timed in the same rounds, interleaved.

Views: the network drawing of the lesson's 20-10-1 network (values of one sample) and of 2-8-8-1 on 2-D data
(maps), the largest drawing (7 features, 6 × 512 ReLU, 3 classes), the hidden space of 2-8-1 (decision axes),
and the plane to draw on (300 points).

    python -m bench.bench_views [--rounds 30]
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time

import numpy as np
import pyarrow as pa

from nnviz.core import drawn_data
from nnviz.core.datasets import lesson_data, make_2d
from nnviz.core.deep_network import DeepNN
from nnviz.viz import draw_plane, hidden_space, live_chart, live_views, maps, network_view


def arrow_bytes(table: pa.Table) -> int:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return len(sink.getvalue())


def sizes(chart: dict) -> tuple[int, int]:
    """(spec JSON bytes, Arrow bytes of all datasets) of a chart."""
    arrow = live_chart.drawn_often(chart)
    spec = {k: v for k, v in chart.items() if k != "datasets"}
    return len(json.dumps(spec).encode()), sum(arrow_bytes(t) for t in arrow["datasets"].values())


def views():
    """(name, build) pairs: ``build()`` makes one redraw's chart from the current weights."""
    lesson = lesson_data()
    m20 = DeepNN(20, (10,), seed=0).fit(lesson.X_train, lesson.y_train, batch_size=100, n_iterations=5, lr=1)
    lay20 = network_view.network_layout(m20, input_names=lesson.feature_names)
    spec20 = network_view.network_spec(lay20)

    moons = make_2d("moons", seed=0)
    m288 = DeepNN(2, (8, 8), seed=0, init_scale="glorot").fit(moons.X_train, moons.y_train, batch_size=10,
                                                               n_iterations=20, lr=0.1)
    lay288 = network_view.network_layout(m288, features=("x1", "x2"))
    spec288 = network_view.network_spec(lay288)
    grid288 = maps.grid_over(np.vstack([moons.X_train, moons.X_test]), resolution=lay288.resolution)

    big = DeepNN(7, (512,) * 6, n_output=3, activation="relu", seed=0, init_scale="glorot")
    feats = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")
    lay_big = network_view.network_layout(big, features=feats)
    spec_big = network_view.network_spec(lay_big)
    grid_big = maps.grid_over(np.vstack([moons.X_train, moons.X_test]), resolution=lay_big.resolution)

    m281 = DeepNN(2, (8,), seed=0, init_scale="glorot").fit(moons.X_train, moons.y_train, batch_size=10,
                                                             n_iterations=20, lr=0.1)
    axes = hidden_space.decision_axes(m281)
    hs_spec = hidden_space.hidden_space_spec(m281, axes)
    plane = maps.grid_over(np.vstack([moons.X_train, moons.X_test]), resolution=30)

    rng = np.random.default_rng(0)
    drawing = drawn_data.Drawing.empty()
    for x1, x2 in rng.uniform(-1.9, 1.9, (drawn_data.MAX_POINTS, 2)):
        drawing = drawn_data.add_point(drawing, x1, x2, int(x1 > 0))
    draw_spec = draw_plane.draw_spec()

    grid60 = maps.grid_over(np.vstack([moons.X_train, moons.X_test]), resolution=60)

    def boundary():
        return live_views.boundary_spec(grid60.xs, grid60.ys, maps.output_map(m288, grid60), moons.X_train,
                                        moons.y_train, moons.X_test, moons.y_test)

    return [
        ("decision boundary 2-8-8-1 (60x60)", boundary),
        ("network 20-10-1, one sample", lambda: network_view.network_chart(
            spec20, network_view.network_data(m20, lay20, sample=lesson.X_test[0]))),
        ("network 2-8-8-1, maps", lambda: network_view.network_chart(
            spec288, network_view.network_data(m288, lay288, grid=grid288))),
        ("network 7-6x512-3, maps", lambda: network_view.network_chart(
            spec_big, network_view.network_data(big, lay_big, grid=grid_big))),
        ("hidden space 2-8-1, decision axes", lambda: hidden_space.hidden_space_chart(
            hs_spec, hidden_space.hidden_space_data(m281, axes, moons.X_train, moons.y_train, features=("x1", "x2"),
                                                    grid=plane))),
        ("drawing plane, 300 points", lambda: draw_plane.drawing_chart(draw_spec, drawing, 1)),
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    contenders = views()
    times = {name: [] for name, _ in contenders}
    for _ in range(args.rounds):
        for name, build in contenders:
            t = time.perf_counter()
            live_chart.drawn_often(build())
            times[name].append(time.perf_counter() - t)
    base = statistics.median(times[contenders[0][0]])
    print(f"{'view':38} {'spec':>9} {'data':>9} {'build ms':>9} {'x boundary':>11}")
    for name, build in contenders:
        spec_b, data_b = sizes(build())
        t = statistics.median(times[name])
        print(f"{name:38} {spec_b / 1024:7.1f}kB {data_b / 1024:7.1f}kB {t * 1e3:9.2f} {t / base:11.2f}")


if __name__ == "__main__":
    main()
