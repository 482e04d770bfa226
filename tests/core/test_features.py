"""Input features: the Playground's seven, one function for the data and the boundary grid alike."""

import numpy as np
import pytest

from nnviz.core.datasets import make_2d
from nnviz.core.features import DEFAULT_FEATURES, FEATURES, check_features, feature_labels, feature_matrix
from nnviz.viz import maps


def test_the_seven_features_and_their_values():
    assert list(FEATURES) == ["x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2"]
    points = np.array([[0.5, -2.0], [1.5, 3.0]])
    F = feature_matrix(points, list(FEATURES))
    expected = [[0.5, -2.0, 0.25, 4.0, -1.0, np.sin(0.5), np.sin(-2.0)],
                [1.5, 3.0, 2.25, 9.0, 4.5, np.sin(1.5), np.sin(3.0)]]
    np.testing.assert_allclose(F, expected, rtol=1e-15)
    assert all(f.label and f.latex for f in FEATURES.values())
    assert feature_labels("x1,x1sq,sinx2") == ("x1", "x1²", "sin x2")


def test_a_link_and_a_list_give_the_same_columns_in_one_order():
    assert check_features("sinx1, x1x2,x1") == ("x1", "x1x2", "sinx1")
    assert check_features(["x2sq", "x1"]) == ("x1", "x2sq")
    points = np.random.default_rng(0).normal(size=(5, 2))
    np.testing.assert_array_equal(feature_matrix(points, "x2sq,x1"), feature_matrix(points, ["x1", "x2sq"]))
    np.testing.assert_array_equal(feature_matrix(points), points)  # x1, x2 by default
    assert DEFAULT_FEATURES == ("x1", "x2")


def test_the_training_data_and_the_boundary_grid_go_through_the_same_features():
    ds = make_2d("circles", 200, 0.1, 0.7, 0)
    grid = maps.grid_over(ds.X_train)
    train, on_grid = feature_matrix(ds.X_train, "x1sq,x2sq"), feature_matrix(grid.points.T, "x1sq,x2sq")
    assert train.shape == (ds.n_train, 2) and on_grid.shape == (grid.points.shape[1], 2)
    # circles become a line: the inner ring has x1² + x2² ≈ 0.25, the outer ≈ 1
    radius2 = train.sum(axis=1)
    assert radius2[ds.y_train == 1].max() < radius2[ds.y_train == 0].min() + 0.2


@pytest.mark.parametrize("names, match", [
    ("x1,x3", r"unknown input feature 'x3'; choose from x1, x2, x1sq, x2sq, x1x2, sinx1, sinx2"),
    ("", "choose at least one input feature"),
    ([], "choose at least one input feature"),
    ("x1,x1", "input feature 'x1' is chosen twice"),
    (3, "features must be a list of names, got 3"),
])
def test_bad_choices_are_named(names, match):
    with pytest.raises(ValueError, match=match):
        check_features(names)


def test_points_must_be_two_dimensional():
    with pytest.raises(ValueError, match=r"points must have shape \(m, 2\), got \(4, 3\)"):
        feature_matrix(np.zeros((4, 3)))
