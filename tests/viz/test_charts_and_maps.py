"""Figures are built from arrays without Streamlit; the maps behind them are right."""

import numpy as np
import pytest

from nnviz import ShallowNN
from nnviz.core.datasets import lesson_data, make_2d
from nnviz.viz import charts, downsample, maps


def test_training_figure_has_titles_legend_and_thinned_series():
    n = 5000
    fig = charts.training_figure(
        np.arange(1, n + 1), np.linspace(1, 0.1, n), np.linspace(1, 0.2, n), np.linspace(0.5, 1, n),
        np.full(n, np.nan), batch_x=np.arange(20_000) / 40, batch_loss=np.random.default_rng(0).random(20_000),
        test_name="validation", batch_name="loss so far in the epoch", loss_label="categorical cross-entropy")
    names = [t.name for t in fig.data]
    assert "train loss" in names and "validation loss" in names and "train accuracy" in names
    assert "validation accuracy" not in names  # all NaN: no validation set, no trace
    assert "loss so far in the epoch (range)" in names
    assert all(len(t.x) <= 2 * downsample.MAX_POINTS + 1 for t in fig.data)
    assert fig.layout.xaxis.title.text == "epoch" and fig.layout.yaxis.title.text == "loss (categorical cross-entropy)"
    assert fig.layout.yaxis2.title.text == "accuracy"
    train = next(t for t in fig.data if t.name == "train loss")
    assert train.x[-1] == n  # the last point is always kept


def test_the_lessons_history_plots_as_it_drew_them():
    """The lesson's "model loss" / "model accuracy", one legend "train" / "test", and an accuracy axis zoomed so
    that its lowest tick lies under both curves (98.6 % is not below a 99 % tick)."""
    acc, val = [0.97, 0.985, 0.992, 0.996], [0.975, 0.984, 0.986, 0.987]
    fig = charts.training_figure([1, 2, 3, 4], [0.1, 0.05, 0.03, 0.02], [0.09, 0.06, 0.06, 0.07], acc, val,
                                 short_names=True, titles=("model loss", "model accuracy"), loss_label="",
                                 zoom_accuracy=True)
    assert [t.name for t in fig.data if t.showlegend] == ["train", "test"]
    assert [a.text for a in fig.layout.annotations] == ["<b>model loss</b>", "<b>model accuracy</b>"]
    low, high = fig.layout.yaxis2.range
    tick0, step = fig.layout.yaxis2.tick0, fig.layout.yaxis2.dtick
    assert low < tick0 <= min(acc + val) and high >= 0.996 and step in (0.005, 0.01)


def test_a_short_batch_series_is_drawn_as_is_and_a_long_one_as_its_range():
    fig = charts.training_figure([1], [1], [1], [1], [1], batch_x=np.arange(100) / 10, batch_loss=np.ones(100))
    assert next(t for t in fig.data if t.name == "batch loss").y.size == 100
    y = np.random.default_rng(1).random(10_000)
    cx, lo, mean, hi = downsample.envelope(np.arange(10_000), y, 100)
    assert cx.size == 100 and np.all(lo <= mean) and np.all(mean <= hi)
    assert lo.min() == y.min() and hi.max() == y.max()
    np.testing.assert_allclose(mean[0], y[:100].mean())


def test_presentation_mode_is_bigger():
    small = charts.training_figure([1, 2], [1, 0.5], [1, 0.6], [0.5, 0.7], [0.5, 0.6])
    big = charts.training_figure([1, 2], [1, 0.5], [1, 0.6], [0.5, 0.7], [0.5, 0.6], presentation=True)
    assert big.layout.font.size > small.layout.font.size
    assert big.data[0].line.width > small.data[0].line.width
    assert big.layout.height <= 400  # and short enough to sit beside the controls on a 720-pixel projector


def test_the_output_map_and_hidden_maps():
    ds = make_2d("moons", seed=0)
    model = ShallowNN(2, 6, 1, init_scale=1.0, seed=0)
    grid = maps.grid_over(ds.X_train, resolution=40)
    assert grid.points.shape == (2, 1600)
    prob = maps.output_map(model, grid)
    assert prob.shape == (40, 40) and np.all((prob >= 0) & (prob <= 1))
    # row i of the map is y = ys[i]: check one point against the network directly
    p = model.predict(np.array([[grid.xs[3]], [grid.ys[7]]]))[0, 0]
    assert prob[7, 3] == pytest.approx(p)
    unit_maps = maps.hidden_maps(model, grid)
    assert unit_maps.shape == (6, 40, 40) and np.all(np.abs(unit_maps) <= 1)


@pytest.mark.parametrize("units", [1, 3, 5, 16])
def test_hidden_units_figure_layout_is_valid_for_any_count(units):
    xs = ys = np.linspace(-1, 1, 10)
    fig = charts.hidden_units_figure(xs, ys, np.zeros((units, 10, 10)), total_units=units + 3)
    assert len(fig.data) == units
    assert f"first {units} of {units + 3}" in fig.layout.title.text


def test_projection_is_fixed():
    ds = lesson_data()
    proj = maps.pca_2d(ds.X_train)
    P = proj(ds.X_test)
    assert P.shape == (1000, 2) and sum(proj.explained) < 1
    np.testing.assert_allclose(proj.components @ proj.components.T, np.eye(2), atol=1e-10)
    one = maps.pca_2d(np.arange(10.0).reshape(-1, 1))  # a single feature still gives a 2-D view
    assert one(np.array([[3.0]])).shape == (1, 2)



def test_gallery_titles_of_two_lines_get_the_room_of_two_lines():
    """The MNIST page's top units ("unit 286" over "1.56 × 0.42"): on one line they ran into each other on a
    projector; on two, the margin above the first row and the gap between rows hold both lines."""
    images = np.zeros((8, 28, 28))
    one = charts.digit_gallery_figure(images, [f"unit {i}" for i in range(8)], columns=4, presentation=True)
    two = charts.digit_gallery_figure(images, [f"unit {i}<br>1.00 × 0.50" for i in range(8)], columns=4,
                                      presentation=True)
    font = two.layout.annotations[0].font.size
    assert two.layout.margin.t >= 2 * font + 10 > one.layout.margin.t
    # the second row's titles sit in the gap under the first row: two lines need twice the gap
    gap = lambda fig: fig.layout.yaxis.domain[0] - fig.layout.yaxis5.domain[1]  # noqa: E731
    assert gap(two) * two.layout.height >= 2 * gap(one) * one.layout.height * 0.95
    assert "<br>" not in two.data[0].hovertemplate
