"""What the trainer page draws of a network's insides, computed: decision-boundary grids,
per-unit activation maps, and a fixed 2-D view of many-feature data.

Pure NumPy; ``charts`` turns the results into figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grid:
    """A square grid over the plane: ``xs`` and ``ys`` of length n; ``points`` of shape (2, n·n),
    one column per grid point (row-major: y varies slowest), as the network takes them."""

    xs: np.ndarray
    ys: np.ndarray
    points: np.ndarray

    @property
    def n(self) -> int:
        return self.xs.size


def grid_over(X, resolution: int = 60, margin: float = 0.15) -> Grid:
    """A grid covering the 2-D points ``X`` of shape (m, 2), with a margin on every side."""
    X = np.asarray(X, dtype=float)
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = (hi - lo) * margin + 1e-9
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], resolution)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], resolution)
    gx, gy = np.meshgrid(xs, ys)
    return Grid(xs, ys, np.vstack([gx.ravel(), gy.ravel()]))


def output_map(model, grid: Grid) -> np.ndarray:
    """P(class 1) at every grid point, shape (n, n) (rows follow ``ys``)."""
    return model.predict(grid.points)[0].reshape(grid.n, grid.n)


def hidden_maps(model, grid: Grid, max_units: int = 16) -> np.ndarray:
    """Each hidden unit's activation A1 over the grid: shape (units, n, n), the first ``max_units`` units."""
    _, A1, _, _ = model.layers(grid.points)
    k = min(max_units, model.n_hidden)
    return A1[:k].reshape(k, grid.n, grid.n)


@dataclass(frozen=True)
class Projection:
    """A fixed linear map of many features to 2-D: the first two principal components of the
    training data. Fixed for a run, so that only the colours (predictions) move as it learns."""

    mean: np.ndarray
    components: np.ndarray  # (2, n_features)
    explained: tuple[float, float]  # share of the variance each axis shows

    def __call__(self, X) -> np.ndarray:
        return (np.asarray(X, dtype=float) - self.mean) @ self.components.T


def pca_2d(X_train) -> Projection:
    """The 2-D principal-component projection of ``X_train`` of shape (m, n_features)."""
    X = np.asarray(X_train, dtype=float)
    mean = X.mean(axis=0)
    _, s, vt = np.linalg.svd(X - mean, full_matrices=False)
    k = min(2, vt.shape[0])
    components = np.zeros((2, X.shape[1]))
    for i in range(k):  # a fixed sign per axis, so the picture does not flip between runs
        row = vt[i]
        components[i] = row * (1.0 if row[np.argmax(np.abs(row))] >= 0 else -1.0)
    total = np.sum(s**2)
    var = s**2 / total if total > 0 else np.zeros_like(s)
    explained = (float(var[0]) if k > 0 else 0.0, float(var[1]) if k > 1 else 0.0)
    return Projection(mean, components, explained)
