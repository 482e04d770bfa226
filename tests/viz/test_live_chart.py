"""The trainer's live charts (Vega-Lite): what they show, and a spec that stays the same while the run grows,
so that the browser updates the chart in place instead of mounting a new one on every redraw."""

import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from nnviz.viz import downsample, live_chart, theme


def run_of(n, rng=None):
    rng = rng or np.random.default_rng(0)
    e = np.arange(1, n + 1)
    return dict(epochs=e, train_loss=1 / e, test_loss=1.1 / e, train_acc=1 - 1 / (e + 1), test_acc=0.9 - 1 / (e + 2),
                batch_x=np.arange(3 * n) / 3, batch_loss=rng.random(3 * n))


def loss(run, **kw):
    return live_chart.loss_spec(run["epochs"], run["train_loss"], run["test_loss"], batch_x=run["batch_x"],
                                batch_loss=run["batch_loss"], **kw)


def accuracy(run, **kw):
    return live_chart.accuracy_spec(run["epochs"], run["train_acc"], run["test_acc"], **kw)


def without_data(spec) -> str:
    return json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)


def arrow_roundtrip(df):
    """What Streamlit sends of a named dataset: Arrow IPC bytes."""
    sink = io.BytesIO()
    table = pa.Table.from_pandas(df)
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return pa.ipc.open_stream(sink.getvalue()).read_all().to_pandas()


def test_the_spec_stays_the_same_while_the_run_grows_only_its_data_change():
    # (the loss chart's batch line becomes a band past 2 × MAX_POINTS batches: one change of kind, below)
    for make, lengths in ((loss, (40, 41, 200, 333)), (loss, (400, 401, 4000)), (accuracy, (40, 41, 400, 4000))):
        specs = [make(run_of(n), height=300) for n in lengths]
        assert len({without_data(s) for s in specs}) == 1, (make.__name__, lengths)
        assert specs[0]["datasets"]["curves"]["epoch"].max() == lengths[0]
        assert specs[-1]["datasets"]["curves"]["epoch"].max() == lengths[-1]


def test_it_changes_kind_only_at_a_few_moments():
    """Markers below 30 epochs, the batch loss as a band once too many batches, an earlier run, log scale,
    presentation mode: each mounts the chart anew (a handful of times per run, not on every redraw)."""
    short, long = loss(run_of(10)), loss(run_of(40))
    assert without_data(short) != without_data(long)
    assert "point" in short["layer"][-1]["mark"] and "point" not in long["layer"][-1]["mark"]
    band = loss(run_of(400))  # 1,200 batches > 2 × MAX_POINTS
    assert band["layer"][0]["mark"]["type"] == "area" and long["layer"][0]["mark"]["type"] == "line"
    assert without_data(loss(run_of(40), log_scale=True)) != without_data(long)
    assert without_data(loss(run_of(40), presentation=True)) != without_data(long)


def test_titles_axes_legend_and_the_lines_a_student_reads():
    run = run_of(400)
    earlier = downsample.Curve("lr 0.1 · batch 100", np.arange(1, 11), np.ones(10), np.full(10, 0.5))
    ls = loss(run, previous=(earlier,))
    acc = accuracy(run, previous=(earlier,), reference=(0.936, "lesson's run: 93.6 %"),
                   reference_band=(0.928, 0.942, "20 seeds: 93.5 % ± 0.7"))
    assert ls["title"] == "Loss" and acc["title"]["text"] == "Accuracy"
    line = ls["layer"][-1]["encoding"]
    assert line["x"]["title"] == "epoch" and line["y"]["title"] == "loss (cross-entropy)"
    assert line["color"]["scale"]["domain"] == ["train loss", "test loss", "batch loss (range)", "lr 0.1 · batch 100"]
    assert line["color"]["scale"]["range"][:2] == [theme.TRAIN, theme.TEST]
    assert line["strokeDash"]["scale"]["range"][:2] == [live_chart.SOLID, live_chart.DASHED]  # test is dashed
    assert acc["layer"][-1]["encoding"]["y"]["axis"]["format"] == ".0%"
    marks = [layer["mark"]["type"] for layer in acc["layer"]]
    assert marks[:2] == ["rect", "rule"] and acc["layer"][1]["encoding"]["y"]["datum"] == 0.936
    assert (acc["layer"][0]["encoding"]["y"]["datum"], acc["layer"][0]["encoding"]["y2"]["datum"]) == (0.928, 0.942)
    # the lesson's line and the band of our seeds are named, in their colour, under the chart's title
    assert acc["title"]["subtitle"] == ["┈ lesson's run: 93.6 %", "▮ 20 seeds: 93.5 % ± 0.7"]
    assert acc["title"]["subtitleColor"] == live_chart.REFERENCE
    assert accuracy(run)["title"] == "Accuracy"  # nothing to name, no subtitle
    # 50-100 %: the band of 1.4 points is some 3 % of the axis rather than a sliver of 1.4 %
    assert acc["layer"][-1]["encoding"]["y"]["scale"]["domain"] == [0.5, 1.005]
    previous = ls["datasets"]["previous"]
    assert set(previous["series"]) == {"lr 0.1 · batch 100"} and previous["value"].tolist() == [1.0] * 10


def test_long_runs_are_thinned_and_keep_their_last_point():
    run = run_of(5000)
    curves = loss(run)["datasets"]["curves"]
    for name in ("train loss", "test loss"):
        rows = curves[curves["series"] == name]
        assert len(rows) <= downsample.MAX_POINTS + 1 and rows["epoch"].iloc[-1] == 5000
    band = loss(run)["datasets"]["batches"]
    assert len(band) == downsample.MAX_POINTS and (band["lo"] <= band["hi"]).all()
    assert band["hi"].max() == run["batch_loss"].max()


def test_no_test_set_no_test_line():
    run = run_of(50)
    acc = live_chart.accuracy_spec(run["epochs"], run["train_acc"], np.full(50, np.nan))
    assert acc["layer"][-1]["encoding"]["color"]["scale"]["domain"] == ["train accuracy"]
    assert set(acc["datasets"]["curves"]["series"]) == {"train accuracy"}


@pytest.mark.parametrize("log_scale", [False, True])
def test_a_diverging_run_draws_what_can_be_drawn(log_scale):
    """Loss that overflows (inf), NaN once the weights are NaN, and zero on a log scale: the line breaks there,
    and the data still travel (Arrow) and the spec still serialises."""
    run = run_of(60)
    run["train_loss"][20:] = np.inf
    run["test_loss"][30:] = np.nan
    run["train_loss"][5] = 0.0
    spec = loss(run, log_scale=log_scale)
    json.dumps({k: v for k, v in spec.items() if k != "datasets"})
    for df in spec["datasets"].values():
        back = arrow_roundtrip(df)
        assert not np.isinf(back.select_dtypes("number").to_numpy()).any()
    train = spec["datasets"]["curves"].query("series == 'train loss'")["value"]
    assert train.iloc[20:].isna().all() and np.isnan(train.iloc[5]) == log_scale
    if log_scale:
        assert spec["layer"][-1]["encoding"]["y"]["scale"]["type"] == "log"


def test_presentation_mode_uses_bigger_type_and_lines():
    run = run_of(40)
    small, big = loss(run), loss(run, presentation=True)
    assert big["config"]["axis"]["labelFontSize"] > small["config"]["axis"]["labelFontSize"] >= 13
    assert big["config"]["legend"]["labelFontSize"] >= 20 and big["config"]["title"]["fontSize"] >= 24
    assert big["layer"][-1]["mark"]["strokeWidth"] > small["layer"][-1]["mark"]["strokeWidth"]


def test_a_spec_drawn_often_carries_the_same_data_as_arrow_tables():
    spec = loss(run_of(400))
    often = live_chart.drawn_often(spec)
    assert without_data(often) == without_data(spec)
    for name, df in spec["datasets"].items():
        table = often["datasets"][name]
        assert isinstance(table, pa.Table)
        assert table.to_pandas().equals(df.reset_index(drop=True))


def test_an_earlier_run_is_labelled_by_what_differs_from_the_run_on_screen():
    from nnviz.core.settings import FULL_BATCH, TrainerSettings

    now = TrainerSettings(lr=0.1)
    assert TrainerSettings().label_against(now) == "earlier: lr 1"
    assert TrainerSettings(batch_size=FULL_BATCH, hidden=3).label_against(now) == "earlier: 3 hidden · lr 1 · full batch"
    assert now.label_against(now) == "earlier: same settings"
    assert TrainerSettings(lr=0.1, speed="max", log_scale=True).label_against(now) == "earlier: same settings"  # display


def test_a_diverging_runs_batch_spikes_do_not_flatten_the_curves():
    """The last batches of a diverging run reach hundreds: drawn at a cap of a few times the epoch curves' highest
    loss, so the axis keeps the curves readable."""
    epochs = np.arange(1, 21)
    train, test = np.linspace(0.7, 0.4, 20), np.linspace(0.72, 0.45, 20)
    bx = np.linspace(0, 20, 400)
    by = np.r_[np.linspace(0.7, 0.4, 390), [5, 40, 120, 500, 300, 900, 80, 250, 600, 500.0]]
    spec = live_chart.loss_spec(epochs, train, test, batch_x=bx, batch_loss=by)
    drawn = spec["datasets"]["batches"]["value"]
    assert drawn.max() == pytest.approx(live_chart.BATCH_CAP * 0.72) and drawn.min() == pytest.approx(0.4)


def test_drawn_often_passes_data_that_is_already_arrow_as_it_is():
    # the live views of issue 31 build their datasets as Arrow tables from arrays: no pandas on each redraw
    table = pa.table({"x": np.arange(3, dtype=np.int16)})
    frame = pd.DataFrame({"y": [1.0, 2.0]})
    out = live_chart.drawn_often({"mark": "point", "datasets": {"a": table, "b": frame}})["datasets"]
    assert out["a"] is table
    assert isinstance(out["b"], pa.Table) and out["b"].column("y").to_pylist() == [1.0, 2.0]


def test_a_change_during_the_run_is_a_labelled_rule_on_both_charts():
    run = run_of(40)
    marks = ((12.5, "lr 1 → 0.1"), (30.0, "lr 0.1 → 0.01"))
    for spec in (loss(run, marks=marks), accuracy(run, marks=marks)):
        layers = [layer for layer in spec["layer"] if layer.get("data", {}).get("name") == "changes"]
        assert [layer["mark"]["type"] for layer in layers] == ["rule", "text"]
        assert "width" in layers[1]["mark"]["align"]["expr"]  # left of a rule in the last third: inside the plot
        table = spec["datasets"]["changes"]
        assert list(table["epoch"]) == [12.5, 30.0] and list(table["label"]) == ["lr 1 → 0.1", "lr 0.1 → 0.01"]
    # the label where the curves are not: the top of the loss chart, the bottom of the accuracy chart (near 100 %
    # its curves crossed the words)
    label = lambda spec: next(lay["mark"] for lay in spec["layer"] if lay["mark"]["type"] == "text")  # noqa: E731
    assert label(loss(run, marks=marks))["baseline"] == "top" and label(loss(run, marks=marks))["y"] == 4
    assert label(accuracy(run, marks=marks))["baseline"] == "bottom"
    plain = loss(run)
    assert "changes" not in plain["datasets"] and without_data(plain) == without_data(loss(run, marks=()))
