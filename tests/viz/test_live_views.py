"""The trainer's live views of the network (Vega-Lite): the decision boundary's line where it belongs, and
specs that stay the same while a run plays, so that the browser redraws the same chart in place."""

import io
import json

import numpy as np
import pyarrow as pa
import pytest

from nnviz import ShallowNN
from nnviz.core.datasets import lesson_data, make_2d
from nnviz.viz import live_chart, live_views, maps
from nnviz.viz.network_view import SIGNS
from nnviz.viz.theme import INK


def without_data(spec) -> str:
    return json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)


def arrow_bytes(table: pa.Table) -> bytes:
    """What Streamlit sends of a named dataset: Arrow IPC bytes (its frontend skips a dataset whose bytes
    did not change)."""
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue()


def test_the_boundary_segments_lie_on_the_level_line():
    xs, ys = np.linspace(-1, 1, 41), np.linspace(-1, 1, 31)
    gx, gy = np.meshgrid(xs, ys)
    # a straight boundary: P = 0.5 where x = 0.3 — every segment on that vertical line, together spanning y
    seg = maps.contour_segments(xs, ys, 0.5 + (gx - 0.3), 0.5)
    assert len(seg) == 30  # one per row of cells
    np.testing.assert_allclose(seg[:, [0, 2]], 0.3, atol=1e-9)
    assert seg[:, [1, 3]].min() == pytest.approx(-1) and seg[:, [1, 3]].max() == pytest.approx(1)
    # a round one: P = 1 - r², crossing 0.5 on the circle r² = 0.5; its pieces join up into a closed line
    z = 1 - (gx**2 + gy**2)
    seg = maps.contour_segments(xs, ys, z, 0.5)
    ends = np.vstack([seg[:, :2], seg[:, 2:]])
    r2 = (ends**2).sum(axis=1)
    assert np.all(np.abs(r2 - 0.5) < 0.01)
    length = np.hypot(seg[:, 2] - seg[:, 0], seg[:, 3] - seg[:, 1]).sum()
    assert length == pytest.approx(2 * np.pi * np.sqrt(0.5), rel=0.01)
    points, counts = np.unique(np.round(ends, 9), axis=0, return_counts=True)
    assert np.all(counts == 2)  # every end meets the next segment's start: no gaps
    # nothing to draw when the network puts the whole plane on one side, or has no numbers at all
    assert maps.contour_segments(xs, ys, np.full_like(z, 0.9)).shape == (0, 4)
    assert maps.contour_segments(xs, ys, np.full_like(z, np.nan)).shape == (0, 4)


def test_a_saddle_cell_is_split_the_way_its_centre_says():
    xs = ys = np.array([0.0, 1.0])
    high_diagonal = np.array([[1.0, 0.0], [0.2, 1.0]])  # (x0,y0) and (x1,y1) above; centre 0.55: joined
    seg = maps.contour_segments(xs, ys, high_diagonal, 0.5)
    assert len(seg) == 2
    # joined: the two lines cut off the low corners (x1, y0) and (x0, y1)
    near = sorted(tuple(np.round(s, 3)) for s in seg)
    assert near == [(0.0, 0.625, 0.375, 1.0), (0.5, 0.0, 1.0, 0.5)]
    apart = maps.contour_segments(xs, ys, np.array([[1.0, 0.0], [0.0, 0.9]]), 0.5)  # centre 0.475: the high
    near = sorted(tuple(np.round(s, 3)) for s in apart)                              # corners cut off instead
    assert near == [(0.0, 0.5, 0.5, 0.0), (1.0, 0.556, 0.556, 1.0)]


@pytest.fixture(scope="module")
def moons():
    ds = make_2d("moons", seed=0)
    grid = maps.grid_over(np.vstack([ds.X_train, ds.X_test]), resolution=40)
    return ds, grid


def boundary(moons, seed=0, **kw):
    ds, grid = moons
    model = ShallowNN(2, 6, 1, init_scale=1.0, seed=seed)
    return live_views.boundary_spec(grid.xs, grid.ys, maps.output_map(model, grid), ds.X_train, ds.y_train,
                                    ds.X_test, ds.y_test, feature_names=ds.feature_names, **kw)


def test_the_boundary_view_keeps_its_spec_while_the_network_changes(moons):
    ds, grid = moons
    before, after = boundary(moons, seed=0, height=380), boundary(moons, seed=1, height=380)
    assert without_data(before) == without_data(after)
    assert not before["datasets"]["map"].equals(after["datasets"]["map"])
    # the points never change during a run: the browser receives the same bytes and leaves them alone
    b, a = live_chart.drawn_often(before)["datasets"], live_chart.drawn_often(after)["datasets"]
    assert arrow_bytes(b["train"]) == arrow_bytes(a["train"]) and arrow_bytes(b["test"]) == arrow_bytes(a["test"])
    assert arrow_bytes(b["map"]) != arrow_bytes(a["map"])
    # what it draws: every grid cell with P(class 1) in [0, 1], the line, every training and test point
    cells = before["datasets"]["map"]
    assert len(cells) == grid.n**2 and cells["p"].between(0, 1).all()
    assert len(before["datasets"]["train"]) == len(ds.X_train) and len(before["datasets"]["test"]) == len(ds.X_test)
    assert set(before["datasets"]["train"]["class"]) == {0, 1}
    marks = [layer["mark"]["type"] for layer in before["layer"]]
    assert marks == ["rect", "rule", "point", "point"]
    assert before["usermeta"]["embedOptions"]["renderer"] == "canvas"  # thousands of cells
    titles = before["layer"][0]["encoding"]["x"]["title"], before["layer"][0]["encoding"]["y"]["title"]
    assert titles == tuple(ds.feature_names)


def test_the_boundary_line_is_where_the_network_says_one_half(moons):
    ds, grid = moons
    model = ShallowNN(2, 6, 1, init_scale=1.0, seed=3)
    spec = live_views.boundary_spec(grid.xs, grid.ys, maps.output_map(model, grid), ds.X_train, ds.y_train)
    line = spec["datasets"]["boundary"]
    assert len(line) > 10
    p = model.predict(np.array([line["x"], line["y"]], dtype=float))[0]
    assert np.median(np.abs(p - 0.5)) < 0.02
    assert "test" not in spec["datasets"] and len(spec["layer"]) == 3  # no test set: no hollow points


def test_beside_the_chart_and_on_a_projector(moons):
    normal, beside = boundary(moons), boundary(moons, presentation=True, height=380, legend=False)
    assert normal["layer"][2]["encoding"]["color"]["legend"] is not None
    assert beside["layer"][2]["encoding"]["color"]["legend"] is None  # the caption says what the dots are
    assert beside["layer"][0]["encoding"]["fill"]["legend"]["orient"] == "top"  # the plot keeps the width
    assert beside["height"] == 380
    assert beside["config"]["axis"]["labelFontSize"] > normal["config"]["axis"]["labelFontSize"]
    assert beside["layer"][2]["mark"]["size"] > normal["layer"][2]["mark"]["size"]


def test_a_diverged_network_and_a_long_column_name_still_draw(moons):
    ds, grid = moons
    prob = np.full((grid.n, grid.n), np.nan)
    long_name = "<b>" + "x" * 100
    spec = live_views.boundary_spec(grid.xs, grid.ys, prob, ds.X_train, ds.y_train,
                                    feature_names=(long_name, "y"))
    assert spec["datasets"]["map"]["p"].eq(0.5).all() and len(spec["datasets"]["boundary"]) == 0
    title = spec["layer"][0]["encoding"]["x"]["title"]
    assert title.startswith("<b>xxx") and len(title) == live_views.TITLE_LIMIT  # Vega draws text as text


def test_the_projection_keeps_its_spec_and_only_the_predictions_move():
    ds = lesson_data()
    proj = maps.pca_2d(ds.X_train)
    P = proj(ds.X_test)
    one = live_views.projection_spec(P, np.full(len(P), 0.5), ds.y_test, proj.explained)
    two = live_views.projection_spec(P, np.linspace(0, 1, len(P)), ds.y_test, proj.explained)
    assert without_data(one) == without_data(two)
    points = two["datasets"]["points"]
    assert len(points) == 1000 and set(points["class"]) == {0, 1}
    np.testing.assert_allclose(points["p"], np.linspace(0, 1, 1000), atol=1e-6)
    x_title = one["layer"][0]["encoding"]["x"]["title"]
    assert x_title.startswith("principal component 1 (") and "of variance" in x_title
    short = live_views.projection_spec(P, np.full(len(P), 0.5), ds.y_test, proj.explained, short_titles=True,
                                       presentation=True, height=380, title="Test set in 2-D")
    assert short["layer"][0]["encoding"]["x"]["title"] == f"PC 1 ({proj.explained[0]:.0%})"
    assert short["title"] == "Test set in 2-D" and short["height"] == 380


def test_the_surface_colours_cells_by_prediction_and_points_by_target_under_one_scale():
    xs, ys = np.linspace(-1, 1, 5), np.linspace(-1, 1, 4)
    values = np.add.outer(ys, xs) / 2  # the plane (x1 + x2) / 2
    X = np.array([[-1.0, -1.0], [1.0, 1.0]])
    spec = live_views.surface_spec(xs, ys, values, X, np.array([-1.0, 1.0]), X, np.array([0.5, -0.5]))
    cells, train, test = spec["layer"]
    assert spec["datasets"]["map"]["value"].tolist() == pytest.approx(values.ravel().tolist())
    assert spec["datasets"]["train"]["target"].tolist() == [-1.0, 1.0]
    fill, dots = cells["encoding"]["fill"], train["encoding"]["color"]
    assert fill["scale"] == dots["scale"] == test["encoding"]["stroke"]["scale"]  # a dot that fits its cell matches it
    # one colour bar for the prediction: with one field for cells and dots, the browser drew the legend as three
    # dots, so the dots have their own field and no legend
    assert fill["field"] != dots["field"] and dots["legend"] is None and fill["legend"]["values"] == [-1, 0, 1]
    # high is orange and low blue, as for P(class 1) and for a weight's sign in the network drawing
    assert fill["scale"]["range"][0] == SIGNS["range"][0] == live_views.PROBABILITY["range"][0]
    assert fill["scale"]["range"][-1] == SIGNS["range"][-1] == live_views.PROBABILITY["range"][-1]
    beside = live_views.surface_spec(xs, ys, values, X, np.array([-1.0, 1.0]), presentation=True, legend=False)
    assert beside["layer"][0]["encoding"]["fill"]["legend"]["title"] == "ŷ"  # the lesson's name fits the column


def test_a_training_dot_keeps_a_dark_outline_on_a_map_of_its_own_colour(moons):
    """On a sure map a training dot lies on its own class's colour: with a white outline it read as a white ring,
    i.e. as a hollow test dot. A dark outline keeps it a filled dot; a test dot stays white inside."""
    ds, grid = moons
    spec = boundary(moons)
    train, test = (next(lay for lay in spec["layer"] if lay["data"]["name"] == n) for n in ("train", "test"))
    assert train["mark"]["filled"] and train["mark"]["stroke"] == INK
    assert test["mark"]["fill"] == "white" and "stroke" in test["encoding"]
    k = live_views.class_map_spec(grid.xs, grid.ys, np.full((3, grid.n, grid.n), 1 / 3), ds.X_train, ds.y_train,
                                  ds.X_test, ds.y_test)
    assert next(lay for lay in k["layer"] if lay["data"]["name"] == "train")["mark"]["stroke"] == INK
