"""Gradient check: ``backward``'s gradients against central differences of the loss.

For each parameter entry θ, the numeric gradient is (L(θ + ε) − L(θ − ε)) / 2ε,
which differs from the true derivative by O(ε²). If backpropagation is right, the
two agree to about 1e-9 relative error in float64; a bug shows as 1e-2 or worse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.network import PARAM_NAMES, ShallowNN
from nnviz.validation import check_int, check_positive_float


@dataclass(frozen=True)
class ParamCheck:
    """The check of one parameter array.

    ``rel_error`` is ‖analytic − numeric‖ / (‖analytic‖ + ‖numeric‖) over the checked
    entries: 0 when they agree, 1 when they have nothing in common.
    """

    name: str
    shape: tuple[int, ...]
    analytic: np.ndarray  # the checked entries, flattened
    numeric: np.ndarray
    rel_error: float
    max_abs_diff: float
    n_checked: int

    @property
    def n_total(self) -> int:
        return int(np.prod(self.shape))


@dataclass(frozen=True)
class GradCheck:
    params: tuple[ParamCheck, ...]
    tolerance: float
    eps: float

    @property
    def max_rel_error(self) -> float:
        return max(p.rel_error for p in self.params)

    @property
    def passed(self) -> bool:
        return self.max_rel_error < self.tolerance

    def __getitem__(self, name: str) -> ParamCheck:
        return next(p for p in self.params if p.name == name)


def gradient_check(model: ShallowNN, X, Y, *, eps: float = 1e-5, tolerance: float = 1e-6,
                   max_entries: int | None = None, seed: int = 0) -> GradCheck:
    """Compare ``model.backward(X, Y)`` with central differences of ``model.loss`` at the current weights.

    Parameters
    ----------
    model : ShallowNN
        Its weights are perturbed and restored exactly; ``cache`` and ``grads``
        are left as ``forward``/``backward`` on this batch set them.
    X : ndarray of shape (n_input, m)
    Y : ndarray of shape (n_output, m)
    eps : float
        The perturbation ε.
    tolerance : float
        The largest relative error that passes.
    max_entries : int, optional
        Check at most this many entries per parameter (chosen at random with ``seed``),
        to keep a check of a large network quick. All entries by default.
    """
    eps = check_positive_float("eps", eps)
    tolerance = check_positive_float("tolerance", tolerance)
    if max_entries is not None:
        max_entries = check_int("max_entries", max_entries)
    model.forward(X)
    model.backward(X, Y)
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    rng = np.random.default_rng(seed)
    checks = []
    for name in PARAM_NAMES:
        P = model.params[name]
        analytic_all = model.grads["d" + name].reshape(-1)
        indices = np.arange(P.size)
        if max_entries is not None and P.size > max_entries:
            indices = np.sort(rng.choice(P.size, size=max_entries, replace=False))
        numeric = np.empty(indices.size)
        for k, flat in enumerate(indices):
            idx = np.unravel_index(flat, P.shape)
            original = P[idx]
            P[idx] = original + eps
            plus = model.loss(X, Y)
            P[idx] = original - eps
            minus = model.loss(X, Y)
            P[idx] = original
            numeric[k] = (plus - minus) / (2 * eps)
        analytic = analytic_all[indices].copy()
        diff = np.linalg.norm(analytic - numeric)
        scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
        checks.append(ParamCheck(
            name=name, shape=P.shape, analytic=analytic, numeric=numeric,
            rel_error=float(diff / scale) if scale > 0 else 0.0,
            max_abs_diff=float(np.max(np.abs(analytic - numeric))), n_checked=int(indices.size),
        ))
    return GradCheck(tuple(checks), tolerance, eps)
