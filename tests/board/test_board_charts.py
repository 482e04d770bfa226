"""What the class board shows: the table, the best run, and figures whose text can never become HTML."""

import urllib.parse

import numpy as np
import plotly.graph_objects as go
import pytest

from nnviz.board import charts as bc
from nnviz.board.store import SharedRun, shared_run
from nnviz.core.settings import TrainerSettings, from_query
from nnviz.core.training import EpochRecord


def run(nickname, acc, i=0, **settings):
    recs = [EpochRecord(e, e, 1 / e, acc, 1.2 / e, acc, 1.0) for e in range(1, 31)]
    r = shared_run(nickname, TrainerSettings(**settings), recs)
    return SharedRun(**{**r.__dict__, "id": i})


RUNS = [run("ada", 0.81, 1, lr=0.1, hidden=4, batch_size=8), run("<b>bo</b>", 0.93, 2, lr=3.0, hidden=64, batch_size=0),
        run("cy", 0.93, 3, lr=0.001, hidden=16, batch_size=128)]


def test_best_is_the_highest_test_accuracy_first_on_ties():
    assert bc.best_index(RUNS) == 1
    assert bc.best_index([]) is None
    assert bc.best_index([SharedRun(**{**RUNS[0].__dict__, "test_acc": None})]) is None


def test_table_rows_best_first_with_links_that_reproduce_the_run():
    rows = bc.table_rows(RUNS, "http://host:8501")
    assert [r["nickname"] for r in rows] == ["<b>bo</b>", "cy", "ada"]
    assert rows[0]["batch size"] == "full" and rows[0]["test accuracy %"] == 93.0
    link = urllib.parse.urlsplit(rows[0]["open"])
    assert link.path == "/shallow_network"
    settings, problems = from_query(dict(urllib.parse.parse_qsl(link.query)))
    assert problems == [] and settings == RUNS[1].settings


@pytest.mark.parametrize("setting", list(bc.SETTINGS))
def test_accuracy_figure_has_every_run_and_escapes_nicknames(setting):
    spec = bc.accuracy_figure(RUNS, setting, presentation=True)
    fig = go.Figure(spec)  # a valid Plotly figure
    xs = [x for t in fig.data for x in t.x]
    assert len(xs) == len(RUNS)
    assert fig.layout.xaxis.type == bc.SETTINGS[setting][1]
    best = fig.data[-1]
    assert list(best.text) == ["&lt;b&gt;bo&lt;/b&gt;"] and best.marker.color == bc.BEST_COLOUR
    assert all("<b>" not in h for t in fig.data for h in t.hovertext)
    if setting == "batch size":
        assert list(fig.layout.xaxis.categoryarray) == ["8", "128", "full"]
    if setting == "learning rate":
        assert list(fig.layout.xaxis.ticktext) == ["0.001", "0.1", "3"]


def test_loss_figure_overlays_every_run_and_draws_the_best_on_top():
    fig = go.Figure(bc.loss_figure(RUNS))
    others, best = fig.data
    assert best.name == "&lt;b&gt;bo&lt;/b&gt;" and best.line.color == bc.BEST_COLOUR
    assert best.line.width > others.line.width
    assert "&lt;b&gt;bo&lt;/b&gt;" in fig.layout.title.text and "<b>" not in fig.layout.title.text
    # the other two runs, each followed by a gap, each point named after its run
    n = len(RUNS[0].curves["epoch"])
    gap = [float("nan")]
    np.testing.assert_array_equal(others.x, [*RUNS[0].curves["epoch"], *gap, *RUNS[2].curves["epoch"], *gap])
    np.testing.assert_allclose(others.y[:n], RUNS[0].curves["test_loss"], rtol=1e-3)
    assert list(others.hovertext) == ["ada"] * (n + 1) + ["cy"] * (n + 1)


def test_faint_curves_are_thinned_and_rounded_the_best_keeps_every_point():
    long = [run(f"r{i}", 0.5 + i / 100, i, seed=i) for i in range(3)]
    long = [SharedRun(**{**r.__dict__, "curves": {k: (v * 7)[:200] for k, v in r.curves.items()}}) for r in long]
    fig = go.Figure(bc.loss_figure(long))
    others, best = fig.data
    assert len(best.x) == 200
    assert len(others.x) == 2 * (bc.OVERLAY_POINTS + 1)
    np.testing.assert_allclose(bc.significant([123456.0, 0.000123456, -1.23456, 0.0, np.nan]),
                               [123500.0, 0.0001235, -1.235, 0.0, np.nan])


def test_figures_of_an_empty_room_are_valid():
    go.Figure(bc.accuracy_figure([]))
    go.Figure(bc.loss_figure([]))


def test_the_best_run_and_its_name_stay_inside_the_chart():
    """The best run at the highest accuracy and the largest learning rate: the axis leaves room above it, and its
    name is written to its left, inside the chart, not past the right edge ("alic…")."""
    runs = [run("bo", 0.81, 1, lr=0.1), run("alice", 0.97, 2, lr=3.0), run("cy", 0.9, 3, lr=0.01)]
    fig = bc.accuracy_figure(runs)
    best = fig["data"][-1]
    assert best["text"] == ["alice"] and best["textposition"] == "middle left" and best["cliponaxis"] is False
    low, high = fig["layout"]["yaxis"]["range"]
    assert low < 81 and high >= 97 + 1
    middle = bc.accuracy_figure([run("bo", 0.81, 1, lr=0.1), run("alice", 0.97, 2, lr=0.3), run("cy", 0.9, 3, lr=3.0)])
    assert middle["data"][-1]["textposition"] == "middle right"
