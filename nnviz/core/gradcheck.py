"""Gradient check: ``backward``'s gradients against central differences of the objective.

For each parameter entry θ, the numeric gradient is (J(θ + ε) − J(θ − ε)) / 2ε,
which differs from the true derivative by O(ε²). If backpropagation is right, the
two agree to about 1e-9 relative error in float64; a bug shows as 1e-2 or worse.

J is what a step minimises: the loss plus the regularization penalty, if any. Any
``DeepNN`` is checked, every layer (``ShallowNN`` is one). ``optimizer_gradient_check``
checks the other path too: the gradient the fused ``train_step`` hands to the optimizer.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from nnviz.core.deep_network import DeepNN, with_ones_column
from nnviz.core.optimizers import Optimizer
from nnviz.core.validation import check_int, check_learning_rate, check_positive_float


@dataclass(frozen=True)
class ParamCheck:
    """The check of one parameter array.

    ``rel_error`` is ‖analytic − numeric‖ / (‖analytic‖ + ‖numeric‖) over the checked
    entries: 0 when they agree, 1 when they have nothing in common. ``noise`` is the smallest gradient (norm over
    the checked entries) whose agreement central differences can show within the check's tolerance, given the
    rounding of the loss: a gradient below it (a deep network whose signal vanishes through small weights)
    cannot be checked this way, whatever backpropagation computed.
    """

    name: str
    shape: tuple[int, ...]
    analytic: np.ndarray  # the checked entries, flattened
    numeric: np.ndarray
    rel_error: float
    max_abs_diff: float
    n_checked: int
    noise: float = 0.0

    @property
    def n_total(self) -> int:
        return int(np.prod(self.shape))

    @property
    def resolvable(self) -> bool:
        """Whether the gradient is large enough for central differences to check it."""
        return float(np.linalg.norm(self.analytic)) >= self.noise


@dataclass(frozen=True)
class GradCheck:
    params: tuple[ParamCheck, ...]
    tolerance: float
    eps: float

    @property
    def max_rel_error(self) -> float:
        """The largest relative error among the parameters large enough to check (0 if there is none)."""
        return max((p.rel_error for p in self.params if p.resolvable), default=0.0)

    @property
    def passed(self) -> bool:
        """Every parameter that can be checked agrees (and at least one can)."""
        return any(p.resolvable for p in self.params) and self.max_rel_error < self.tolerance

    def __getitem__(self, name: str) -> ParamCheck:
        return next(p for p in self.params if p.name == name)


def gradient_check(model: DeepNN, X, Y, *, eps: float = 1e-5, tolerance: float = 1e-6,
                   max_entries: int | None = None, seed: int = 0) -> GradCheck:
    """Compare ``model.backward(X, Y)`` with central differences of ``model.loss`` (the objective, penalty
    included) at the current weights, for every parameter ``W1 b1 … WL bL``.

    Parameters
    ----------
    model : DeepNN
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
    eps, tolerance, max_entries = _check_settings(eps, tolerance, max_entries)
    model.forward(X)
    model.backward(X, Y)
    analytic = {name: model.grads["d" + name] for name in model.param_names}
    return _compare(model, X, Y, analytic, eps, tolerance, max_entries, seed)


class _Recording(Optimizer):
    """An optimizer that notes the gradient it receives, then lets ``inner`` take the step."""

    def __init__(self, inner: Optimizer):
        self.inner = inner
        self.folds_lr = inner.folds_lr
        self.name, self.label = inner.name, inner.label
        self.received = None

    def update(self, theta, grad, lr):
        # An optimizer that folds the step size receives α·∇J: divided out to compare with ∇J.
        self.received = grad / lr if self.folds_lr else grad.copy()
        self.inner.update(theta, grad, lr)


def optimizer_gradient_check(model: DeepNN, X, Y, lr: float = 0.1, *, eps: float = 1e-5, tolerance: float = 1e-6,
                             max_entries: int | None = None, seed: int = 0) -> GradCheck:
    """Compare the gradient that ``model.train_step`` hands to ``model.optimizer`` (the fused path the
    ``Trainer`` runs) with central differences of the objective at the current weights.

    ``model`` is left as it was: the step is taken on a copy.
    """
    eps, tolerance, max_entries = _check_settings(eps, tolerance, max_entries)
    lr = check_learning_rate(lr)
    model.loss(X, Y)  # checks X and Y, naming what is wrong
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    twin = copy.deepcopy(model)
    twin.optimizer = recorder = _Recording(twin.optimizer)
    twin.train_step(with_ones_column(X.T), np.ascontiguousarray(Y), lr)
    analytic = {}
    for block, layer in zip(model.blocks(recorder.received), range(1, model.n_layers + 1), strict=True):
        analytic[f"W{layer}"], analytic[f"b{layer}"] = block[:, :-1], block[:, -1:]
    return _compare(model, X, Y, analytic, eps, tolerance, max_entries, seed)


def _check_settings(eps, tolerance, max_entries):
    eps = check_positive_float("eps", eps)
    tolerance = check_positive_float("tolerance", tolerance)
    if max_entries is not None:
        max_entries = check_int("max_entries", max_entries)
    return eps, tolerance, max_entries


def _compare(model: DeepNN, X, Y, analytic: dict, eps, tolerance, max_entries, seed) -> GradCheck:
    X = np.asarray(X, dtype=float)
    Y = np.asarray(Y, dtype=float)
    rng = np.random.default_rng(seed)
    checks = []
    # rounding in J(θ ± ε) leaves up to a few eps_machine·|J| / ε in each difference quotient: a gradient whose norm
    # is below that (over the checked entries) / tolerance cannot show an agreement within the tolerance
    per_entry = 4 * np.finfo(float).eps * max(abs(float(model.loss(X, Y))), 1.0) / eps / tolerance
    for name in model.param_names:
        P = model.params[name]
        analytic_all = np.asarray(analytic[name]).reshape(-1)
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
        chosen = analytic_all[indices].copy()
        diff = np.linalg.norm(chosen - numeric)
        scale = np.linalg.norm(chosen) + np.linalg.norm(numeric)
        checks.append(ParamCheck(
            name=name, shape=P.shape, analytic=chosen, numeric=numeric,
            rel_error=float(diff / scale) if scale > 0 else 0.0,
            max_abs_diff=float(np.max(np.abs(chosen - numeric))), n_checked=int(indices.size),
            noise=float(per_entry * np.sqrt(indices.size)),
        ))
    return GradCheck(tuple(checks), tolerance, eps)
