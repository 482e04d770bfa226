"""Input features of a 2-D point: x1, x2 and the five TensorFlow Playground adds (x1², x2², x1·x2, sin x1, sin x2).

A network on 2-D data sees the features chosen here instead of (x1, x2) alone, so a class can watch features
replace layers: circles become separable by a network with no hidden layer once it sees x1² and x2². The same
function maps the training and test points and the grid a decision boundary is drawn on, so the boundary is
the network's on exactly what it was trained on.

Names are the URL's (``feat=x1,x2,x1x2,sinx1``); ``FEATURES`` keeps, for each, its label and LaTeX.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from nnviz.core.datasets import Dataset


@dataclass(frozen=True)
class Feature:
    """One input feature: its URL name, a label, its LaTeX, and ``f(x1, x2)`` on arrays of coordinates."""

    name: str
    label: str
    latex: str
    f: Callable


FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        Feature("x1", "x1", r"x_1", lambda x1, x2: x1),
        Feature("x2", "x2", r"x_2", lambda x1, x2: x2),
        Feature("x1sq", "x1²", r"x_1^{2}", lambda x1, x2: x1 * x1),
        Feature("x2sq", "x2²", r"x_2^{2}", lambda x1, x2: x2 * x2),
        Feature("x1x2", "x1·x2", r"x_1 x_2", lambda x1, x2: x1 * x2),
        Feature("sinx1", "sin x1", r"\sin x_1", lambda x1, x2: np.sin(x1)),
        Feature("sinx2", "sin x2", r"\sin x_2", lambda x1, x2: np.sin(x2)),
    )
}

#: The plain coordinates: what every 2-D set is without chosen features.
DEFAULT_FEATURES = ("x1", "x2")


def check_features(names) -> tuple[str, ...]:
    """``names`` (a sequence of feature names, or one comma-separated string such as ``"x1,x2,x1x2"``) as a
    tuple in the registry's order; a ``ValueError`` names an unknown, repeated or missing choice."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    try:
        names = list(names)
    except TypeError:
        raise ValueError(f"features must be a list of names, got {names!r}") from None
    if not names:
        raise ValueError(f"choose at least one input feature from {', '.join(FEATURES)}")
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise ValueError(f"unknown input feature {unknown[0]!r}; choose from {', '.join(FEATURES)}")
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"input feature {repeated[0]!r} is chosen twice")
    return tuple(n for n in FEATURES if n in names)


def feature_matrix(points, names=DEFAULT_FEATURES) -> np.ndarray:
    """The chosen features of 2-D ``points`` of shape (m, 2): shape (m, k), one column per feature, in the
    registry's order (``check_features``)."""
    names = check_features(names)
    points = np.asarray(points, dtype=float)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must have shape (m, 2), got {points.shape}")
    x1, x2 = points[:, 0], points[:, 1]
    out = np.empty((points.shape[0], len(names)))
    for j, name in enumerate(names):
        out[:, j] = FEATURES[name].f(x1, x2)
    return out


def feature_labels(names) -> tuple[str, ...]:
    """The labels of the chosen features, in ``feature_matrix``'s column order."""
    return tuple(FEATURES[n].label for n in check_features(names))


@dataclass(frozen=True)
class InputMap:
    """Points of the plane -> the chosen features, the network's inputs (picklable: it travels with a dataset)."""

    names: tuple[str, ...]

    def __call__(self, points) -> np.ndarray:
        return feature_matrix(points, self.names)


def with_features(ds: Dataset, names) -> Dataset:
    """A 2-D set whose network sees the features ``names`` instead of (x1, x2): ``X_train`` and ``X_test`` become
    the feature columns; the points stay, for drawing (``Dataset.plane_train``), with the map from points to inputs.
    The default features (x1, x2) give ``ds`` itself."""
    names = check_features(names)
    if not ds.is_2d or ds.points_train is not None:
        raise ValueError(f"input features are for 2-D sets: {ds.title} has {ds.n_features} features")
    if names == DEFAULT_FEATURES:
        return ds
    inputs = InputMap(names)
    X_train, X_test = inputs(ds.X_train), inputs(ds.X_test)
    for a in (X_train, X_test):
        a.setflags(write=False)
    return replace(ds, X_train=X_train, X_test=X_test, feature_names=feature_labels(names),
                   points_train=ds.X_train, points_test=ds.X_test, inputs=inputs,
                   description=f"{ds.description}; features {', '.join(feature_labels(names))}")
