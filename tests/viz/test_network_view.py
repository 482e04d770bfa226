"""The live network drawing: a spec fixed by the architecture, data that carry exactly the model's weights and
activations, selections that name the parameter a click picked, and a cost bounded whatever the network."""

import json
import re

import numpy as np
import pytest

from nnviz.core.datasets import lesson_data, make_2d
from nnviz.core.deep_network import DeepNN
from nnviz.core.features import feature_matrix
from nnviz.viz import maps
from nnviz.viz import network_view as nv
from nnviz.viz.network_layout import weight_stroke


def network_data(*args, **kwargs):
    """``nv.network_data``'s Arrow tables as DataFrames, to read them."""
    return {name: table.to_pandas() for name, table in nv.network_data(*args, **kwargs).items()}


def without_data(spec) -> str:
    return json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)


@pytest.fixture(scope="module")
def circles():
    return make_2d("circles", seed=0)


def trained(ds, hidden=(8, 8), features=("x1", "x2"), seed=0, epochs=20, **kw):
    F = feature_matrix(ds.X_train, features)
    return DeepNN(F.shape[1], hidden, seed=seed, init_scale="glorot", **kw).fit(
        F, ds.y_train, batch_size=10, n_iterations=epochs, lr=0.1)


def grid_for(ds, layout):
    return maps.grid_over(np.vstack([ds.X_train, ds.X_test]), resolution=layout.resolution)


def test_the_edges_carry_exactly_the_models_weights(circles):
    model = trained(circles)
    layout = nv.network_layout(model, features=("x1", "x2"))
    edges = network_data(model, layout, grid=grid_for(circles, layout))["edges"]
    assert len(edges) == 2 * 8 + 8 * 8 + 8 * 1  # every connection of a network this small is drawn
    for row in edges.itertuples():
        assert row.w == model.params[f"W{row.layer}"][row.i, row.j]  # exactly: float64 all the way
    seen = {(r.layer, r.i, r.j) for r in edges.itertuples()}
    assert seen == {(layer, i, j) for layer in (1, 2, 3) for i in range(model.sizes[layer])
                    for j in range(model.sizes[layer - 1])}


def test_each_edge_is_drawn_with_the_houses_width_and_colour(circles):
    model = trained(circles)
    layout = nv.network_layout(model, features=("x1", "x2"))
    edges = network_data(model, layout, grid=grid_for(circles, layout))["edges"]
    biggest = float(np.max(np.abs(edges["w"])))
    for row in edges.itertuples():
        width, colour = weight_stroke(row.w, biggest)
        assert row.width == pytest.approx(width, rel=1e-6)
        assert nv.SIGNS["range"][nv.SIGNS["domain"].index(int(np.sign(row.w)))] == colour
    spec = nv.network_spec(layout)
    drawn = spec["layer"][1]
    assert drawn["encoding"]["strokeWidth"] == {"field": "width", "type": "quantitative", "scale": None}
    assert drawn["encoding"]["stroke"]["scale"] == nv.SIGNS


def test_the_map_cells_are_the_models_activations_on_the_grid(circles):
    features = ("x1", "x2", "x1sq", "x2sq")
    model = trained(circles, hidden=(5, 3), features=features)
    layout = nv.network_layout(model, features=features)
    grid = grid_for(circles, layout)
    data = network_data(model, layout, grid=grid)
    g2 = layout.resolution ** 2
    X = feature_matrix(grid.points.T, features).T
    outs = model.layers(X)
    expected = [X, *outs[1::2]]  # layer k's values at every grid point, in the grid's order
    for node, (k, u) in enumerate(layout.nodes()):
        cells = data["outputs" if k == layout.n_layers else "cells"]
        mine = cells[cells["k"] // g2 == node].sort_values("k")
        assert (mine["k"] % g2).tolist() == list(range(g2))
        np.testing.assert_array_equal(mine["v"].to_numpy(), expected[k][u].astype(np.float32))
    # the input x1² is the square of x1 at each grid point; the output is P(class 1) there
    x1sq = data["cells"][data["cells"]["k"] // g2 == 2]["v"].to_numpy()
    np.testing.assert_allclose(x1sq, (grid.points[0] ** 2).astype(np.float32), rtol=1e-6)
    out = data["outputs"]["v"].to_numpy()
    np.testing.assert_allclose(out, maps.output_map(model, maps.Grid(grid.xs, grid.ys, X)).ravel(), rtol=1e-6)
    # colours: tanh as it is, P as 2P − 1, an input by its layer's largest |value|
    hidden = data["cells"][(data["cells"]["k"] // g2 >= 4) & (data["cells"]["k"] // g2 < 9)]
    np.testing.assert_array_equal(hidden["c"], hidden["v"])
    np.testing.assert_allclose(data["outputs"]["c"], 2 * out - 1, atol=1e-6)
    inputs = data["cells"][data["cells"]["k"] // g2 < 4]
    assert inputs["c"].abs().max() == pytest.approx(1.0)


def test_without_maps_each_node_shows_one_samples_value():
    ds = lesson_data()
    model = DeepNN(20, (10,), seed=0).fit(ds.X_train[:400], ds.y_train[:400], batch_size=100, n_iterations=3, lr=1)
    layout = nv.network_layout(model, input_names=ds.feature_names)
    assert not layout.maps and layout.shown == (20, 10, 1) and layout.resolution == 0
    data = network_data(model, layout, sample=ds.X_test[7])
    assert set(data) == {"edges", "nodes"}
    nodes = data["nodes"]
    _, A1, _, A2 = model.layers(ds.X_test[7].reshape(-1, 1))
    assert nodes["name"].tolist() == [f"x{i}" for i in range(1, 21)] + [f"a[1]{nv.subscript(i)}" for i in
                                                                         range(1, 11)] + ["ŷ"]
    assert nodes["what"].tolist() == ([f"{v:+.3f}" for v in ds.X_test[7]] + [f"{v:+.3f}" for v in A1[:, 0]]
                                      + [f"{A2[0, 0]:+.3f}"])
    np.testing.assert_allclose(nodes["c"][20:30], A1[:, 0].astype(np.float32))  # tanh: its own colour value
    assert nodes["c"].iloc[30] == pytest.approx(2 * A2[0, 0] - 1, rel=1e-6)
    assert nodes["bias"].iloc[22] == f"b[1]₃ = {model.params['b1'][2, 0]:+.3f}"
    assert nodes["bias"].iloc[0] == "none: an input"
    assert len(data["edges"]) == 20 * 10 + 10


def test_the_spec_stays_the_same_while_the_weights_change(circles):
    layout = nv.network_layout(trained(circles, epochs=1), features=("x1", "x2"))
    spec = nv.network_spec(layout)
    grid = grid_for(circles, layout)
    charts = []
    for epochs, seed in ((1, 0), (30, 0), (5, 3)):
        model = trained(circles, epochs=epochs, seed=seed)
        assert nv.network_layout(model, features=("x1", "x2")) == layout
        charts.append(nv.network_chart(nv.network_spec(nv.network_layout(model, features=("x1", "x2"))),
                                       nv.network_data(model, layout, grid=grid)))
    assert len({without_data(c) for c in charts}) == 1 and without_data(charts[0]) == without_data(spec)
    assert not charts[0]["datasets"]["edges"].equals(charts[1]["datasets"]["edges"])
    # a change of architecture or of display is a new spec
    other = nv.network_layout(trained(circles, hidden=(8, 4), epochs=1), features=("x1", "x2"))
    assert without_data(nv.network_spec(other)) != without_data(spec)
    assert without_data(nv.network_spec(layout, presentation=True)) != without_data(spec)


def test_a_clicked_edge_names_its_weight_and_an_edit_changes_the_output_as_the_core_computes(circles):
    model = trained(circles)
    X = circles.X_test.T
    before = model.predict(X)
    # what the chart returns for a click on the connection from a[1]₃ to a[2]₅ (the node's own, partial one too)
    event = {"edge": [{"layer": 2, "i": 4, "j": 2}], "node": [{"layer": 2}]}
    pick = nv.selected(event, model)
    assert pick == nv.Selected("W2", 2, 4, 2) and pick.label == "W[2]₅₃" and not pick.is_bias
    assert pick.value(model) == model.params["W2"][4, 2]
    pick.set(model, 3.25)
    assert model.params["W2"][4, 2] == 3.25
    # the output after the edit, computed by hand from the parameters: the core's forward pass
    A = X
    for layer in (1, 2):
        A = np.tanh(model.params[f"W{layer}"] @ A + model.params[f"b{layer}"])
    expected = 1 / (1 + np.exp(-(model.params["W3"] @ A + model.params["b3"])))
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-12)
    assert not np.allclose(model.predict(X), before)
    # and the drawing shows the new weight
    layout = nv.network_layout(model, features=("x1", "x2"))
    edges = network_data(model, layout, grid=grid_for(circles, layout))["edges"]
    assert edges.query("layer == 2 and i == 4 and j == 2")["w"].tolist() == [3.25]
    with pytest.raises(ValueError, match="a weight must be a finite number, got nan"):
        pick.set(model, float("nan"))


def test_a_clicked_node_names_its_bias_and_an_input_or_a_stale_click_names_nothing(circles):
    model = trained(circles)
    pick = nv.selected({"edge": [{"layer": 3}], "node": [{"layer": 3, "unit": 0}]}, model)
    assert pick == nv.Selected("b3", 3, 0, 0) and pick.label == "b[3]₁" and pick.is_bias
    pick.set(model, -0.5)
    assert model.params["b3"][0, 0] == -0.5
    assert nv.selected({"node": [{"layer": 0, "unit": 1}]}, model) is None  # an input has no bias
    assert nv.selected({"edge": [{"layer": 2, "i": 8, "j": 0}]}, model) is None  # made on a wider network
    assert nv.selected({"edge": [{"layer": 4, "i": 0, "j": 0}]}, model) is None
    assert nv.selected({"edge": {}, "node": {}}, model) is None and nv.selected(None, model) is None
    assert nv.selected({"edge": [{"layer": 1.0, "i": 0.0, "j": 1.0}]}, model) == nv.Selected("W1", 1, 0, 1)
    assert nv.selected({"edge": [{"layer": True, "i": 0, "j": 0}, "junk"]}, model) is None


def test_the_spec_selects_edges_and_nodes_by_their_indices(circles):
    spec = nv.network_spec(nv.network_layout(trained(circles, epochs=1), features=("x1", "x2")))
    params = {p["name"]: p["select"] for layer in spec["layer"] for p in layer.get("params", [])}
    assert set(params) == set(nv.SELECTIONS)
    assert params["edge"]["type"] == "point" and params["edge"]["fields"] == ["layer", "i", "j"]
    assert params["node"]["type"] == "point" and params["node"]["fields"] == ["layer", "unit"]


def test_names_follow_the_lessons_notation():
    assert nv.weight_name(1, 1, 2) == "W[1]₂₃"
    assert nv.weight_name(2, 11, 2) == "W[2]₁₂,₃"  # two digits: a comma keeps the indices apart
    assert nv.bias_name(1, 2) == "b[1]₃"
    assert nv.unit_name(1, 0, 2, 1) == "a[1]₁" and nv.unit_name(2, 0, 2, 1) == "ŷ"
    assert nv.unit_name(2, 2, 2, 3) == "ŷ₃" and nv.unit_name(0, 1, 2, 1, ("x1", "x1²")) == "x1²"
    assert nv.unit_name(0, 4, 2, 1) == "x₅"


def test_a_big_network_draws_a_bounded_part_and_says_how_much_is_left_out():
    model = DeepNN(7, (512,) * 6, n_output=3, activation="relu", seed=0, init_scale="glorot")
    features = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")
    layout = nv.network_layout(model, features=features)
    assert layout.shown == (7, 16, 16, 16, 16, 16, 16, 3) and layout.hidden_units[1] == 496
    grid = maps.grid_over(np.array([[-1.5, -1.5], [1.5, 1.5]]), resolution=layout.resolution)
    data = network_data(model, layout, grid=grid)
    assert len(data["edges"]) == 7 * 16 + 5 * 16 * 16 + 16 * 3
    assert len(data["cells"]) + len(data["outputs"]) == len(layout.nodes()) * layout.resolution ** 2 <= nv.MAX_CELLS
    assert layout.resolution >= nv.MIN_RESOLUTION
    spec = nv.network_spec(layout)
    more = [layer for layer in spec["layer"] if layer.get("data", {}).get("values", [{}])[0].get("label", "")
            .startswith("+")]
    assert [v["label"] for v in more[0]["data"]["values"]] == ["+496 more"] * 6
    assert all(str(t) != "int64" for df in data.values() for t in df.dtypes)  # Arrow int64 is a BigInt in JS
    values = nv.network_layout(model, input_names=[f"f{i}" for i in range(7)])
    assert values.shown == (7, 20, 20, 20, 20, 20, 20, 3)


def test_what_does_not_fit_is_refused_with_what_was_given(circles):
    model = trained(circles, epochs=1)
    layout = nv.network_layout(model, features=("x1", "x2"))
    with pytest.raises(ValueError, match=f"a grid of {layout.resolution} × {layout.resolution} points, got a grid "
                                         "of 7 × 7"):
        network_data(model, layout, grid=maps.grid_over(circles.X_train, resolution=7))
    with pytest.raises(ValueError, match="got no grid"):
        network_data(model, layout)
    with pytest.raises(ValueError, match="the layout is for a 2-8-8-1 network, got 2-8-4-1"):
        network_data(trained(circles, hidden=(8, 4), epochs=1), layout, grid=grid_for(circles, layout))
    with pytest.raises(ValueError, match="takes 2 inputs but 3 features were given: x1, x2, x1sq"):
        nv.network_layout(model, features=("x1", "x2", "x1sq"))
    values = nv.network_layout(model)
    with pytest.raises(ValueError, match="sample must hold 2 finite input values, got \\(3,\\)"):
        network_data(model, values, sample=[1, 2, 3])
    with pytest.raises(ValueError, match="give sample="):
        network_data(model, values)
    with pytest.raises(ValueError, match="max_units must be a whole number from 1 to 64, got 0"):
        nv.network_layout(model, max_units=0)


def test_a_diverged_network_is_drawn_without_an_error(circles):
    model = trained(circles, epochs=1)
    model.params["W1"] = np.full((8, 2), np.inf)
    layout = nv.network_layout(model, features=("x1", "x2"))
    data = network_data(model, layout, grid=grid_for(circles, layout))
    assert np.all(np.isfinite(data["edges"]["width"]))


@pytest.mark.parametrize("hidden", [(), (3,), (4, 3, 2)])
@pytest.mark.parametrize("problem, n_output", [("binary", 1), ("multiclass", 4), ("regression", 1)])
@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu", "linear"])
def test_every_architecture_a_page_allows_is_drawn_in_both_modes(hidden, problem, n_output, activation):
    model = DeepNN(3, hidden, n_output, problem=problem, activation=activation, seed=1, init_scale="glorot")
    features = ("x1", "x2", "x1x2")
    for layout, kw in ((nv.network_layout(model, features=features), {}),
                       (nv.network_layout(model, input_names=["a", "b", "c"]), {"sample": [0.5, -2.0, 3.0]})):
        if layout.maps:
            kw = {"grid": maps.grid_over(np.array([[-2.0, -2.0], [2.0, 2.0]]), resolution=layout.resolution)}
        spec = nv.network_spec(layout)
        data = network_data(model, layout, **kw)
        assert {layer["data"]["name"] for layer in spec["layer"] if "name" in layer["data"]} == set(data)
        colours = np.concatenate([d["c"].dropna().to_numpy() for name, d in data.items() if "c" in d])
        assert np.all(np.abs(colours) <= 1 + 1e-6)  # every value lands on its colour scale
        assert len(data["edges"]) == sum(a * b for a, b in zip(model.sizes, model.sizes[1:], strict=False))
        assert data["nodes"]["name"].iloc[-1] == ("ŷ" if n_output == 1 else f"ŷ{nv.subscript(n_output)}")


def test_a_csvs_column_names_are_written_into_the_drawing_as_strings():
    # names with quotes and backslashes go into Vega expressions as JSON string literals, not code
    model = DeepNN(3, (2,), seed=0)
    names = ['it\'s "q"', "back\\slash", "new\nline"]
    spec = nv.network_spec(nv.network_layout(model, input_names=names))
    expressions = [t.get("calculate", "") for layer in spec["layer"] for t in layer.get("transform", [])]
    named = [e for e in expressions if "back" in e]
    assert named and all(json.dumps(names[0]) in e and json.dumps(names[1]) in e and json.dumps(names[2]) in e
                         for e in named)


def test_layer_names_are_words_in_a_wide_column_and_the_lessons_notation_beside_the_chart(circles):
    """On a projector, beside the chart (~350 px), "hidden 1 / 8 units, tanh" ran into its neighbours; there the
    columns read X, A[1], A[2], ŷ. Under Look inside (~580 px, normal mode) they keep their words."""
    layout = nv.network_layout(trained(circles), features=("x1", "x2"))

    def titles(presentation):
        spec = nv.network_spec(layout, presentation=presentation, height=380)
        layer = next(lay for lay in spec["layer"] if lay.get("transform", [{}])[0].get("as") == "shown")
        span, px = map(float, re.match(r"width / ([\d.]+) >= (\d+) \?", layer["transform"][0]["calculate"]).groups())
        return layer["data"]["values"], span, px

    rows, span, words_px = titles(True)
    assert [r["title"] for r in rows] == ["input", "hidden 1", "hidden 2", "output"]
    assert [r["short"] for r in rows] == ["X", "A[1]", "A[2]", "ŷ"]
    assert [r["short_sub"] for r in rows] == ["2 in", "8 tanh", "8 tanh", "P(1)"]
    glyph = 0.55 * 18  # the subtitles' font on a projector, 2 px under its 20
    assert words_px >= len("8 units, tanh") * glyph  # the words are never shown where they do not fit
    assert 350 / span < words_px <= 1200 / span  # notation beside the chart, words across the whole page
    assert 350 / span >= len("8 tanh") * glyph  # and the notation fits beside it
    _, span, words_px = titles(False)
    assert words_px <= 580 / span  # normal mode, under Look inside: words
    deep = nv.network_layout(trained(circles, hidden=(8, 8, 8, 8)), features=("x1", "x2"))
    spec = nv.network_spec(deep, presentation=True, height=380)
    sub = next(lay for lay in spec["layer"] if lay.get("transform", [{}])[-1].get("as") == "shown_sub")
    span, words, brief = map(float, re.match(r"width / ([\d.]+) >= (\d+) \? datum.sub : width / [\d.]+ >= (\d+)",
                                              sub["transform"][-1]["calculate"]).groups())
    assert 350 / span < brief <= words  # four hidden layers beside the chart: the names alone, no "8 tanh"
