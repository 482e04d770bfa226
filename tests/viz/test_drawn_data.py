"""Data a class draws: points in, a Dataset out; a link that carries them exactly; the plane to click on."""

import json
import urllib.parse

import numpy as np
import pytest

from nnviz.core import drawn_data as dd
from nnviz.core.deep_network import DeepNN
from nnviz.core.settings import TrainerSettings, to_query
from nnviz.viz import draw_plane as dp


def drawing(n, kind="classes", seed=0, classes=2):
    rng = np.random.default_rng(seed)
    d = dd.Drawing.empty(kind)
    for i in range(n):
        x1, x2 = rng.uniform(-2, 2, 2)
        label = i % classes if kind == "classes" else float(rng.uniform(-2, 2))
        d = dd.add_point(d, x1, x2, label)
    return d


@pytest.mark.parametrize("kind", ["classes", "regression"])
def test_a_drawing_comes_back_from_its_link_to_the_last_bit(kind):
    d = drawing(50, kind, classes=6)
    text = dd.encode(d)
    assert len(text) == 1 + 4 * 50
    assert urllib.parse.quote(text, safe="") == text  # nothing a URL would escape
    back = dd.decode(text)
    assert back == d
    assert np.array_equal(back.X, d.X) and np.array_equal(back.y, d.y) and back.y.dtype == d.y.dtype
    assert dd.encode(back) == text
    assert dd.decode(dd.encode(dd.Drawing.empty(kind))) == dd.Drawing.empty(kind)


def test_points_are_kept_on_the_levels_a_link_can_hold():
    d = dd.add_point(dd.Drawing.empty(), 0.30001, -1.995, 1)
    assert d.X.tolist() == [[0.296875, -2.0]]  # 19/64 and the plane's edge: the nearest levels
    r = dd.add_point(dd.Drawing.empty("regression"), 2.0, 0.0, 0.7)
    assert r.X.tolist() == [[2 - 1 / 64, 0.0]] and r.y.tolist() == [0.703125]
    # a clicked cell's centre lies exactly on a level: it is drawn where it was clicked
    centre = -2 + (5 + 0.5) * 4 / dd.DRAW_CELLS
    assert dd.add_point(dd.Drawing.empty(), centre, centre, 0).X.tolist() == [[centre, centre]]


def test_the_largest_drawing_fits_in_a_link_every_browser_opens():
    d = drawing(dd.MAX_POINTS, classes=6)
    text = dd.encode(d)
    assert len(text) == dd.MAX_ENCODED == 1201
    settings = to_query(TrainerSettings())
    url = ("https://nnviz.example.org/shallow_network?" + urllib.parse.urlencode(settings)
           + "&hidden=8,8,8,8,8,8&feat=x1,x2,x1sq,x2sq,x1x2,sinx1,sinx2&reg=l2&rate=0.003&opt=adam&pts=" + text)
    assert len(url) < 2000
    with pytest.raises(ValueError, match="at most 300 points"):
        dd.add_point(d, 0, 0, 1)
    with pytest.raises(ValueError, match="drawn points: 1,205 characters, at most 1,201 \\(300 points\\)"):
        dd.decode(text + "AAAA")


@pytest.mark.parametrize("text, message", [
    ("", "start with 'c' \\(classes\\) or 'r' \\(regression\\), got ''"),
    ("xAAAA", "start with 'c' \\(classes\\) or 'r' \\(regression\\), got 'xAAAA'"),
    ("cAAA=", "character '=' at position 4 is not one a link carries"),
    ("cAA AAAAA", "character ' ' at position 3"),
    ("cAAAAAA", "6 characters after the kind, not a whole number of points \\(4 each\\): the link was cut"),
    ("cAAAAAAAB", "drawn point 2 has class 1"),  # class 1 is fine: no error (checked below)
    ("cAAAAAAAG", "drawn point 2 has class 6; classes are 0 … 5"),
    (12, "drawn points must be text, got int"),
])
def test_a_malformed_link_says_what_is_wrong(text, message):
    if text == "cAAAAAAAB":
        assert dd.decode(text).y.tolist() == [0, 1]
        return
    with pytest.raises(ValueError, match=message):
        dd.decode(text)


@pytest.mark.parametrize("x1, x2, label, message", [
    (2.5, 0, 1, "x1 = 2.5 is outside the plane \\(-2 … 2\\)"),
    (0, float("nan"), 1, "x2 must be a number, got nan"),
    (0, 0, 6, "class must be at most 5, got 6"),
    (0, 0, -1, "class must be at least 0, got -1"),
    (0, 0, 0.5, "class must be a whole number, got 0.5"),
])
def test_a_bad_point_is_refused_with_its_value(x1, x2, label, message):
    with pytest.raises(ValueError, match=message):
        dd.add_point(dd.Drawing.empty(), x1, x2, label)


def test_a_regression_value_outside_the_range_is_refused():
    with pytest.raises(ValueError, match="value = 3 is outside the plane"):
        dd.add_point(dd.Drawing.empty("regression"), 0, 0, 3.0)


def test_remove_takes_the_nearest_point_within_the_radius_only():
    d = dd.Drawing.empty()
    for x1, x2, c in [(0, 0, 0), (1, 1, 1), (1, 1, 0), (-1, 1, 1)]:
        d = dd.add_point(d, x1, x2, c)
    after = dd.remove_point(d, 0.95, 1.05)
    assert after.X.tolist() == [[0, 0], [1, 1], [-1, 1]] and after.y.tolist() == [0, 1, 1]  # the later of two
    assert dd.remove_point(d, 0.5, -1.5) is d  # nothing within reach
    assert dd.remove_point(dd.remove_point(d, 0.1, 0.05), -0.1, 0).X.tolist() == d.X[1:].tolist()
    assert dd.remove_point(dd.Drawing.empty(), 0, 0) == dd.Drawing.empty()


def test_a_drawing_becomes_the_dataset_of_its_problem():
    two = drawing(40, classes=2)
    ds = dd.to_dataset(two)
    assert ds.problem == "binary" and ds.n_classes == 2 and ds.feature_names == ("x1", "x2")
    assert ds.n_train + ds.n_test == 40 and ds.is_2d
    # every point is in one part, with its own label, in the order drawn
    X = np.vstack([ds.X_train, ds.X_test])
    y = np.r_[ds.y_train, ds.y_test]
    order = np.lexsort(X.T[::-1])
    assert sorted(map(tuple, np.c_[X, y][order].tolist())) == sorted(map(tuple, np.c_[two.X, two.y].tolist()))
    many = dd.to_dataset(drawing(40, classes=4, seed=3))
    assert many.problem == "multiclass" and many.n_classes == 4 and many.n_outputs == 4
    reg = dd.to_dataset(drawing(20, "regression"))
    assert reg.problem == "regression" and reg.n_classes is None and reg.y_train.dtype == float


def test_adding_a_point_keeps_every_earlier_point_where_it_was():
    d = drawing(30, classes=2)
    before = dd.to_dataset(d, seed=7)
    after = dd.to_dataset(dd.add_point(d, 0.5, 0.5, 1), seed=7)
    # the new point comes last, in one part or the other; every earlier point stays in its part
    assert np.array_equal(after.X_train[: before.n_train], before.X_train)
    assert np.array_equal(after.X_test[: before.n_test], before.X_test)
    assert after.n_train + after.n_test == 31


@pytest.mark.parametrize("seed", range(20))
def test_even_a_few_points_give_both_parts_a_point(seed):
    for n in range(2, 7):
        ds = dd.to_dataset(drawing(n, seed=seed, classes=2), seed=seed)
        assert ds.n_train >= 1 and ds.n_test >= 1


@pytest.mark.parametrize("d, message", [
    (dd.Drawing.empty(), "draw at least 2 points to train on, got 0"),
    (dd.add_point(dd.add_point(dd.Drawing.empty(), 0, 0, 2), 1, 1, 2), "at least two classes; all 2 are class 2"),
    (dd.add_point(dd.add_point(dd.Drawing.empty("regression"), 0, 0, 0.5), 1, 1, 0.5), "are all 0.5"),
])
def test_a_drawing_that_cannot_train_says_why(d, message):
    with pytest.raises(ValueError, match=message):
        dd.to_dataset(d)


def test_five_drawn_points_train_and_their_link_reproduces_the_run():
    d = dd.Drawing.empty()
    for x1, x2, c in [(-1, -1, 0), (-1.2, -0.8, 0), (-0.8, -1.1, 0), (1, 1, 1), (1.1, 0.9, 1)]:
        d = dd.add_point(d, x1, x2, c)
    runs = []
    for drawn in (d, dd.decode(dd.encode(d))):
        ds = dd.to_dataset(drawn, seed=3)
        net = DeepNN(2, (4,), seed=0).fit(ds.X_train, ds.y_train, batch_size=4, n_iterations=300, lr=0.5)
        runs.append((net.loss_curve_, net.predict_classes(ds.X_test.T)))
    assert runs[0][0] == runs[1][0]  # the same curve, to the last bit
    assert runs[0][0][-1] < 0.1 * runs[0][0][0]
    assert np.array_equal(runs[0][1], runs[1][1])


def test_the_plane_grid_covers_the_drawing_plane():
    g = dp.plane_grid(9)
    assert g.xs[0] == -2 and g.xs[-1] == 2 and g.points.shape == (2, 81)


# ----------------------------------------------------------------------------- the plane to click on


def without_data(spec) -> str:
    return json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)


@pytest.mark.parametrize("kind", ["classes", "regression"])
def test_the_plane_keeps_its_spec_while_points_come_and_go(kind):
    spec = dp.draw_spec(kind)
    a = dp.drawing_chart(spec, drawing(3, kind), 0)
    b = dp.drawing_chart(spec, drawing(9, kind, seed=2), 5)
    assert without_data(a) == without_data(b) == without_data(dp.draw_spec(kind))
    points = b["datasets"]["points"].to_pandas()
    assert points[["x1", "x2"]].to_numpy().tolist() == drawing(9, kind, seed=2).X.tolist()
    assert b["datasets"]["turn"].column("turn").to_pylist() == [5]
    # no 64-bit integers: Arrow's reach the browser as BigInt, which Vega cannot compute with
    assert all(str(t) != "int64" for df in b["datasets"].values() for t in df.schema.types)


def test_the_plane_selects_a_cells_centre_on_click_and_shift_click():
    spec = dp.draw_spec()
    cells = next(layer for layer in spec["layer"] if "params" in layer)
    params = {p["name"]: p["select"] for p in cells["params"]}
    assert set(params) == set(dp.SELECTIONS) == {"add", "remove"}
    for name, on in (("add", "click[!event.shiftKey]"), ("remove", "click[event.shiftKey]")):
        assert params[name]["type"] == "point" and params[name]["fields"] == ["x1", "x2", "turn"]
        assert params[name]["on"] == on
    assert cells["data"]["sequence"]["stop"] == dd.DRAW_CELLS ** 2


def test_clicks_reads_this_turns_selections_only():
    sel = {"add": [{"x1": -0.9375, "x2": 1.1875, "turn": 3}], "remove": [{"x1": 0.3125, "x2": -0.8125, "turn": 2}]}
    assert dp.clicks(sel, 3) == [("add", -0.9375, 1.1875)]
    assert dp.clicks(sel, 2) == [("remove", 0.3125, -0.8125)]
    assert dp.clicks(sel, 4) == []
    assert dp.clicks({"add": {}, "remove": {}}, 0) == [] and dp.clicks(None, 0) == []
    assert dp.clicks({"add": [{"x1": 9, "x2": 0, "turn": 0}, {"x1": "a"}, "junk"]}, 0) == []
