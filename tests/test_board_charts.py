"""What the class board shows: the table, the best run, and figures whose text can never become HTML."""

import urllib.parse

import plotly.graph_objects as go
import pytest

from nnviz import board_charts as bc
from nnviz.board import SharedRun, shared_run
from nnviz.state import TrainerSettings, from_query
from nnviz.training import EpochRecord


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


def test_loss_figure_overlays_every_run_and_draws_the_best_on_top():
    fig = go.Figure(bc.loss_figure(RUNS))
    assert len(fig.data) == 3
    assert fig.data[-1].name == "&lt;b&gt;bo&lt;/b&gt;" and fig.data[-1].line.color == bc.BEST_COLOUR
    assert fig.data[-1].line.width > fig.data[0].line.width
    assert "&lt;b&gt;bo&lt;/b&gt;" in fig.layout.title.text and "<b>" not in fig.layout.title.text
    assert list(fig.data[0].x) == RUNS[0].curves["epoch"]


def test_figures_of_an_empty_room_are_valid():
    go.Figure(bc.accuracy_figure([]))
    go.Figure(bc.loss_figure([]))
