"""The hidden space: the plane and the data carried through a hidden layer, where a trained layer is seen to make
the classes linearly separable; a spec fixed for the run, data that follow the weights."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from nnviz.core.datasets import lesson_data, make_2d
from nnviz.core.deep_network import DeepNN
from nnviz.viz import hidden_space as hs
from nnviz.viz import maps

FEATURES = ("x1", "x2")


@pytest.fixture(scope="module")
def circles():
    return make_2d("circles", seed=0, noise=0.05)


def train(ds, hidden, seed=0, epochs=100):
    return DeepNN(2, hidden, seed=seed, init_scale="glorot", optimizer="adam").fit(
        ds.X_train, ds.y_train, batch_size=10, n_iterations=epochs, lr=0.02, shuffle=True)


def hidden_space_data(*args, **kwargs):
    """``hs.hidden_space_data``'s Arrow tables as DataFrames, to read them."""
    return {name: table.to_pandas() for name, table in hs.hidden_space_data(*args, **kwargs).items()}


def linear_accuracy(P, y) -> float:
    """How well the best straight line separates the classes of points ``P`` (m, 2)."""
    return LogisticRegression(C=1e4, max_iter=5000).fit(P, y).score(P, y)


def plane(ds):
    return maps.grid_over(np.vstack([ds.X_train, ds.X_test]), resolution=30)


def test_a_trained_layer_makes_the_circles_linearly_separable_along_the_outputs_weights(circles):
    model = train(circles, (6,))
    predicted = model.predict_classes(circles.X_train.T)
    assert np.mean(predicted == circles.y_train) >= 0.98
    assert linear_accuracy(circles.X_train, circles.y_train) < 0.7  # no straight line does it in the plane
    axes = hs.decision_axes(model)
    data = hidden_space_data(model, axes, circles.X_train, circles.y_train, features=FEATURES,
                                grid=plane(circles), max_points=10_000)
    P = data["points"][["u", "v"]].to_numpy(dtype=float)
    assert linear_accuracy(P, circles.y_train) >= 0.98  # in hidden space, one does
    # and the line drawn is the network's own decision: right of it, class 1, exactly as the network predicts
    (u,) = data["boundary"]["u"].to_numpy(dtype=float)
    assert data["boundary"]["u2"].iloc[0] == data["boundary"]["u"].iloc[0]  # vertical
    exact = hs.decision_axes(model).project(model, model.layers(circles.X_train.T)[1])[:, 0]
    assert np.array_equal(exact > u, predicted.astype(bool))


def test_the_two_units_of_a_last_hidden_layer_show_the_whole_layer_and_its_line(circles):
    model = train(circles, (8, 2), epochs=150)
    predicted = model.predict_classes(circles.X_train.T)
    assert np.mean(predicted == circles.y_train) >= 0.98
    axes = hs.hidden_axes(model, circles.X_train, layer=2)
    assert axes.kind == "units" and axes.titles == ("a[2]₁", "a[2]₂")
    data = hidden_space_data(model, axes, circles.X_train, circles.y_train, features=FEATURES,
                                grid=plane(circles), max_points=10_000)
    _, _, _, A2, _, _ = model.layers(circles.X_train.T)
    np.testing.assert_array_equal(data["points"]["u"], A2[0].astype(np.float32))  # the units' own values
    np.testing.assert_array_equal(data["points"]["v"], A2[1].astype(np.float32))
    P = data["points"][["u", "v"]].to_numpy(dtype=float)
    assert linear_accuracy(P, circles.y_train) >= 0.98
    # the drawn line is w·a + b = 0 for the output's weights: the points on its sides are the predicted classes
    (u, v, u2, v2), = data["boundary"].to_numpy(dtype=float)
    w, b = model.params["W3"][0], model.params["b3"][0, 0]
    for pu, pv in ((u, v), (u2, v2)):
        assert w[0] * pu + w[1] * pv + b == pytest.approx(0, abs=1e-4)
    side = np.sign((u2 - u) * (A2[1] - v) - (v2 - v) * (A2[0] - u))
    agree = np.mean((side > 0) == predicted.astype(bool))
    assert agree in (0.0, 1.0)  # one side is class 1, the other class 0: the line separates as the network does


def test_the_grid_lines_are_the_plane_carried_through_the_layer(circles):
    model = train(circles, (3,), epochs=5)
    axes = hs.unit_axes(model, 2, 0)
    grid = plane(circles)
    lines = hidden_space_data(model, axes, circles.X_train, circles.y_train, features=FEATURES,
                                 grid=grid)["lines"]
    assert len(lines) == 2 * hs.GRID_LINES * hs.LINE_POINTS
    first = lines[lines["line"] == 0].sort_values("t")  # x1 = the grid's left edge, x2 from bottom to top
    pts = np.c_[np.full(hs.LINE_POINTS, grid.xs[0]), np.linspace(grid.ys[0], grid.ys[-1], hs.LINE_POINTS)]
    A1 = model.layers(pts.T)[1]
    np.testing.assert_allclose(first["u"], A1[2], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(first["v"], A1[0], rtol=1e-6, atol=1e-7)
    assert set(lines["dir"]) == {0, 1} and lines.groupby("line")["dir"].nunique().max() == 1


def test_the_principal_axes_stay_put_while_the_network_learns(circles):
    model = train(circles, (6,), epochs=2)
    axes = hs.pca_axes(model, circles.X_train)
    assert axes.kind == "pca" and axes.titles[0].startswith("PC 1 of layer 1 (")
    assert sum(axes.explained) <= 1 + 1e-9 and axes.explained[0] >= axes.explained[1]
    spec = hs.hidden_space_spec(model, axes)
    before = hidden_space_data(model, axes, circles.X_train, circles.y_train, features=FEATURES)
    components = axes.components.copy()
    model.fit(circles.X_train, circles.y_train, batch_size=10, n_iterations=5, lr=0.02)
    after = hidden_space_data(model, axes, circles.X_train, circles.y_train, features=FEATURES)
    assert np.array_equal(axes.components, components)  # the same view ...
    assert not after["points"].equals(before["points"])  # ... of a network that moved
    assert json.dumps(hs.hidden_space_spec(model, axes), sort_keys=True) == json.dumps(spec, sort_keys=True)
    A = model.layers(circles.X_train[:5].T)[1]
    np.testing.assert_allclose(after["points"][["u", "v"]].to_numpy()[:5],
                               (A.T - axes.mean) @ axes.components.T, rtol=1e-5, atol=1e-6)


def test_the_spec_is_fixed_by_the_view_and_carries_no_data(circles):
    a, b = train(circles, (6,), epochs=1), train(circles, (6,), seed=3, epochs=30)
    spec = hs.hidden_space_spec(a, hs.decision_axes(a))
    assert "datasets" not in spec or not spec["datasets"]
    assert json.dumps(spec, sort_keys=True) == json.dumps(hs.hidden_space_spec(b, hs.decision_axes(b)),
                                                          sort_keys=True)
    data = hidden_space_data(b, hs.decision_axes(b), circles.X_train, circles.y_train, features=FEATURES,
                                grid=plane(circles))
    assert set(data) == {"lines", "points", "boundary"}
    assert {layer["data"]["name"] for layer in spec["layer"]} == set(data)
    assert all(str(t) != "int64" for df in data.values() for t in df.dtypes)
    units = hs.hidden_space_spec(a, hs.unit_axes(a, 0, 1))
    assert units["layer"][0]["encoding"]["x"]["scale"]["domain"] == [-1.05, 1.05]  # tanh: fixed axes


def test_many_features_carry_the_points_only():
    ds = lesson_data()
    model = DeepNN(20, (10,), seed=0).fit(ds.X_train[:500], ds.y_train[:500], batch_size=100, n_iterations=3, lr=1)
    axes = hs.hidden_axes(model, ds.X_train)
    assert axes.kind == "pca"
    data = hidden_space_data(model, axes, ds.X_test, ds.y_test)
    assert len(data["lines"]) == 0 and len(data["points"]) == hs.MAX_POINTS
    assert len(data["boundary"]) == 0  # two principal components of ten units do not give the output exactly


def test_a_regression_colours_points_by_value():
    ds = make_2d("plane", seed=0)
    model = DeepNN(2, (4,), problem="regression", seed=0).fit(ds.X_train, ds.y_train, n_iterations=2, lr=0.05)
    axes = hs.decision_axes(model)
    data = hidden_space_data(model, axes, ds.X_train, ds.y_train, features=FEATURES)
    np.testing.assert_allclose(data["points"]["label"], ds.y_train[: hs.MAX_POINTS].astype(np.float32))
    assert len(data["boundary"]) == 0
    assert hs.hidden_space_spec(model, axes)["layer"][2]["encoding"]["color"]["type"] == "quantitative"


def test_bad_choices_are_refused_with_the_bad_value(circles):
    model = train(circles, (3,), epochs=1)
    with pytest.raises(ValueError, match="layer must be a hidden layer, 1 … 1, got 2"):
        hs.pca_axes(model, circles.X_train, layer=2)
    with pytest.raises(ValueError, match="unit j must be one of layer 1's 3 units, 0 … 2, got 3"):
        hs.unit_axes(model, 0, 3)
    with pytest.raises(ValueError, match="two different units, got 1 twice"):
        hs.unit_axes(model, 1, 1)
    with pytest.raises(ValueError, match="one output unit .* this network has 3"):
        hs.decision_axes(DeepNN(2, (4,), n_output=3))
    with pytest.raises(ValueError, match="no hidden layer"):
        hs.hidden_axes(DeepNN(2, ()), circles.X_train)
    with pytest.raises(ValueError, match="one row per label"):
        hidden_space_data(model, hs.unit_axes(model), circles.X_train, circles.y_train[:5], features=FEATURES)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "leaky_relu", "linear"])
@pytest.mark.parametrize("problem, n_output", [("binary", 1), ("multiclass", 4), ("regression", 1)])
def test_every_network_a_page_allows_has_a_hidden_space(activation, problem, n_output):
    ds = make_2d("blobs", seed=0, classes=4) if problem == "multiclass" else make_2d("moons", seed=0)
    model = DeepNN(2, (5, 2), n_output, problem=problem, activation=activation, seed=0, init_scale="glorot")
    for layer in (1, 2):
        for axes in [hs.hidden_axes(model, ds.X_train, layer=layer), hs.unit_axes(model, 1, 0, layer=layer)] + (
                [hs.decision_axes(model)] if n_output == 1 and layer == 2 else []):
            spec = hs.hidden_space_spec(model, axes)
            data = hidden_space_data(model, axes, ds.X_train, ds.y_train, features=FEATURES, grid=plane(ds))
            assert np.all(np.isfinite(data["points"][["u", "v"]].to_numpy()))
            assert len(data["lines"]) == 2 * hs.GRID_LINES * hs.LINE_POINTS
            if problem == "multiclass":  # a colour for each of the 4 classes, no more
                assert spec["layer"][2]["encoding"]["color"]["scale"]["domain"] == [0, 1, 2, 3]
