"""Long series drawn with a bounded number of points, the one home of thinning: a live chart's redraw then costs
the same after 10 epochs as after 10,000 (in a lecture hall the server's CPU is the sum of every session's
redraws).

``minmax`` is what live charts use: a series of any length becomes at most ``points`` points — equal buckets,
each keeping its first point, its minimum and its maximum (in the order they occur), and the series' last point —
so spikes stay visible and the ends exact. ``thin`` keeps every k-th point (figures drawn once), ``envelope``
turns a long noisy series into a min–max band. ``Curve`` is an earlier run kept for comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.core.training import epoch_column

POINTS = 300  # per series; a chart ~600 px wide gains nothing from more
MAX_POINTS = 500  # per trace of a figure drawn once (``thin``, ``envelope``)


@dataclass(frozen=True)
class Curve:
    """One finished run kept for comparison: its label and per-epoch test loss and accuracy (``settings``: what
    the run was made of, for a page that labels it against the run on screen)."""

    label: str
    epochs: np.ndarray
    loss: np.ndarray
    accuracy: np.ndarray
    settings: object = None


def spread(n: int, max_points: int) -> list[int]:
    """Indices of at most ``max_points`` evenly spread items of ``n`` (``max_points`` ≥ 2), always the first and
    the last: a long series thinned for a redraw, a stored curve, an overlay."""
    if n <= max_points:
        return list(range(n))
    step = (n - 1) / (max_points - 1)
    return sorted({round(i * step) for i in range(max_points)})


def thin(x, y, max_points: int = MAX_POINTS):
    """A long series at ``spread`` points (the first and the last kept), so that a redraw stays small."""
    x, y = np.asarray(x), np.asarray(y)
    if x.size <= max_points:
        return x, y
    idx = spread(x.size, max_points)
    return x[idx], y[idx]


def envelope(x, y, bins: int = 400):
    """A long noisy series as ``bins`` bins: (bin centres, minimum, mean, maximum) per bin."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    edges = np.linspace(0, x.size, bins + 1).astype(int)
    edges = np.unique(edges)
    starts = edges[:-1]
    centres = np.add.reduceat(x, starts) / np.diff(edges)
    lo = np.minimum.reduceat(y, starts)
    hi = np.maximum.reduceat(y, starts)
    mean = np.add.reduceat(y, starts) / np.diff(edges)
    return centres, lo, mean, hi




def minmax_indices(y, points: int = POINTS) -> np.ndarray:
    """Indices of at most ``points`` samples of ``y`` that keep its ends and each bucket's extremes.

    Parameters
    ----------
    y : array_like of shape (n,)
        The series in drawing order. NaN is never a bucket's minimum or maximum.
    points : int
        The output's maximum length (at least 4).

    Returns
    -------
    ndarray of int, shape (k,), k ≤ points, increasing
        The first and last index, and for each of ``(points - 2) // 3`` equal buckets its first
        index and the first indices of its minimum and its maximum.
    """
    if points < 4:
        raise ValueError(f"points must be at least 4, got {points!r}")
    y = np.asarray(y, dtype=float)
    if y.ndim != 1:
        raise ValueError(f"a series must be 1-D, got shape {y.shape}")
    n = y.size
    if n <= points:
        return np.arange(n)
    buckets = (points - 2) // 3
    body = n - 1  # the last point is kept on its own
    starts = np.linspace(0, body, buckets + 1).astype(np.int64)[:-1]
    lo_vals = np.where(np.isnan(y[:body]), np.inf, y[:body])
    hi_vals = np.where(np.isnan(y[:body]), -np.inf, y[:body])
    lo = np.minimum.reduceat(lo_vals, starts)
    hi = np.maximum.reduceat(hi_vals, starts)
    idx = np.arange(body)
    bucket = np.searchsorted(starts, idx, side="right") - 1
    first_lo = np.full(buckets, n, dtype=np.int64)
    first_hi = np.full(buckets, n, dtype=np.int64)
    at_lo = lo_vals == lo[bucket]
    at_hi = hi_vals == hi[bucket]
    np.minimum.at(first_lo, bucket[at_lo], idx[at_lo])
    np.minimum.at(first_hi, bucket[at_hi], idx[at_hi])
    return np.unique(np.r_[starts, first_lo[first_lo < n], first_hi[first_hi < n], n - 1])


def minmax(x, y, points: int = POINTS) -> tuple[np.ndarray, np.ndarray]:
    """The series (``x``, ``y``) at ``minmax_indices(y, points)``: ends and extremes kept, fixed size."""
    x, y = np.asarray(x), np.asarray(y, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    keep = minmax_indices(y, points)
    return x[keep], y[keep]


@dataclass(frozen=True)
class TrainingSeries:
    """What the training chart draws, each series at most ``points`` long."""

    epochs: np.ndarray
    train_loss: np.ndarray
    test_loss: np.ndarray
    train_acc: np.ndarray  # or R² for a regression
    test_acc: np.ndarray
    batch_x: np.ndarray  # in epochs
    batch_loss: np.ndarray


#: accuracy, or a regression's R² (``EpochRecord.train_score``): what the second chart draws
EPOCH_COLUMNS = ("train_loss", "test_loss", "train_score", "test_score")


class SeriesCache:
    """Downsampled training series of one run, its per-epoch columns grown as the history grows.

    A run's history only appends epoch records, so each call reads only the records added since the
    last one; a different run (another first record, or fewer records) starts afresh.

    The four per-epoch curves share their epochs (one x per panel): each curve chooses its extremes
    from ``points // 4`` buckets and all four keep the union of those epochs, at most ``points`` in
    all. The per-batch loss keeps at most ``points`` of its own.
    """

    def __init__(self, points: int = POINTS):
        self.points = points
        self._first = None
        self._epochs: list[float] = []
        self._columns: dict[str, list[float]] = {name: [] for name in EPOCH_COLUMNS}

    def series(self, records, batch_steps, batch_losses, steps_per_epoch: int) -> TrainingSeries:
        first = records[0] if len(records) else None
        if first is not self._first or len(records) < len(self._epochs):
            self.__init__(self.points)
            self._first = first
        new = records[len(self._epochs):]
        self._epochs.extend(float(r.epoch) for r in new)
        for name, column in self._columns.items():
            column.extend(epoch_column(new, name).tolist())
        epochs = np.asarray(self._epochs)
        columns = {name: np.asarray(c, dtype=float) for name, c in self._columns.items()}
        per = max(4, self.points // len(EPOCH_COLUMNS))
        keep = np.unique(np.concatenate([minmax_indices(c, per) for c in columns.values()])).astype(np.int64)
        batch_x = np.asarray(batch_steps, dtype=float) / max(steps_per_epoch, 1)
        bx, by = minmax(batch_x, np.asarray(batch_losses, dtype=float), self.points)
        return TrainingSeries(epochs[keep], *(columns[name][keep] for name in EPOCH_COLUMNS),
                              batch_x=bx, batch_loss=by)
