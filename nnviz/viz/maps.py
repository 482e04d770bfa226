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


def grid_inputs(grid: Grid, to_inputs=None) -> np.ndarray:
    """The grid's points as the network takes them, shape (n_input, n·n): the points themselves, or the input
    features ``to_inputs`` makes of points of shape (m, 2) (``Dataset.inputs``)."""
    return grid.points if to_inputs is None else np.asarray(to_inputs(grid.points.T), dtype=float).T


def output_maps(model, grid: Grid, to_inputs=None) -> np.ndarray:
    """The network's outputs over the grid, shape (n_output, n, n) (rows follow ``ys``): P(class 1) for two
    classes, each class's probability for several, the predicted value for a regression."""
    out = model.predict(grid_inputs(grid, to_inputs))
    return out.reshape(out.shape[0], grid.n, grid.n)


def output_map(model, grid: Grid, to_inputs=None) -> np.ndarray:
    """P(class 1) (or a regression's value) at every grid point, shape (n, n) (rows follow ``ys``)."""
    return output_maps(model, grid, to_inputs)[0]


def hidden_maps(model, grid: Grid, max_units: int = 16, to_inputs=None) -> np.ndarray:
    """Each unit's activation A[1] of the first hidden layer over the grid: shape (units, n, n), the first
    ``max_units`` units."""
    A1 = model.layers(grid_inputs(grid, to_inputs))[1]
    k = min(max_units, A1.shape[0])
    return A1[:k].reshape(k, grid.n, grid.n)


def class_boundaries(xs, ys, probs) -> np.ndarray:
    """Where the winning class changes, for class probabilities ``probs`` of shape (k, len(ys), len(xs)): the
    segments where each class's lead over the best other class crosses 0 (``contour_segments``), shape (s, 4)."""
    probs = np.asarray(probs, dtype=float)
    parts = []
    for c in range(probs.shape[0]):
        others = np.delete(probs, c, axis=0).max(axis=0)
        parts.append(contour_segments(xs, ys, probs[c] - others, 0.0))
    return np.concatenate(parts) if parts else np.zeros((0, 4))


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


# Marching squares: for each of the 16 ways a cell's corners can lie above the level (bit 1: (x0, y0), 2: (x1, y0),
# 4: (x1, y1), 8: (x0, y1)), the pairs of cell edges (0 bottom, 1 right, 2 top, 3 left) that the line joins.
# The two saddles (5 and 10) are resolved by the mean of the four corners (see ``contour_segments``).
_CASES = {1: [(3, 0)], 2: [(0, 1)], 3: [(3, 1)], 4: [(1, 2)], 6: [(0, 2)], 7: [(3, 2)], 8: [(2, 3)], 9: [(0, 2)],
          11: [(1, 2)], 12: [(1, 3)], 13: [(0, 1)], 14: [(3, 0)]}
_SADDLES = {5: ([(3, 2), (0, 1)], [(3, 0), (1, 2)]), 10: ([(0, 3), (2, 1)], [(0, 1), (2, 3)])}


def contour_segments(xs, ys, z, level: float = 0.5) -> np.ndarray:
    """The line where ``z`` (shape (len(ys), len(xs)), rows follow ``ys``) crosses ``level``, as straight
    segments, one per grid cell it passes: shape (k, 4), columns x, y, x2, y2 (linear interpolation along the
    cells' edges). The decision boundary is this line at P(class 1) = 0.5."""
    xs, ys, z = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float), np.asarray(z, dtype=float)
    z = np.where(np.isfinite(z), z, level)  # a diverged network: no line where it has no number
    above = z > level
    case = (above[:-1, :-1] * 1 + above[:-1, 1:] * 2 + above[1:, 1:] * 4 + above[1:, :-1] * 8).astype(int)
    if not np.any((case > 0) & (case < 15)):
        return np.zeros((0, 4))
    z00, z10, z11, z01 = z[:-1, :-1], z[:-1, 1:], z[1:, 1:], z[1:, :-1]  # z[y, x]: (x0,y0) (x1,y0) (x1,y1) (x0,y1)

    def cross(a, b):
        d = b - a
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(d != 0, (level - a) / d, 0.5)
        return np.clip(t, 0.0, 1.0)

    x0, x1 = xs[None, :-1], xs[None, 1:]
    y0, y1 = ys[:-1, None], ys[1:, None]
    shape = case.shape
    ex = [x0 + cross(z00, z10) * (x1 - x0), np.broadcast_to(x1, shape), x0 + cross(z01, z11) * (x1 - x0),
          np.broadcast_to(x0, shape)]
    ey = [np.broadcast_to(y0, shape), y0 + cross(z10, z11) * (y1 - y0), np.broadcast_to(y1, shape),
          y0 + cross(z00, z01) * (y1 - y0)]
    centre_above = (z00 + z10 + z11 + z01) / 4 > level
    parts = []

    def add(sel, pairs):
        for a, b in pairs:
            parts.append(np.column_stack([ex[a][sel], ey[a][sel], ex[b][sel], ey[b][sel]]))

    for c, pairs in _CASES.items():
        sel = case == c
        if np.any(sel):
            add(sel, pairs)
    for c, (joined, apart) in _SADDLES.items():
        for sel, pairs in ((case == c) & centre_above, joined), ((case == c) & ~centre_above, apart):
            if np.any(sel):
                add(sel, pairs)
    return np.vstack(parts)
