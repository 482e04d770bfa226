"""Loss functions, numerically stable, in the lesson's layout (one column per sample).

``Y`` and ``Y_hat`` have shape (n_output, m). The ``*_from_logits`` forms take the
output layer's pre-activation ``Z2`` instead of probabilities: they are exact
where the probability form has to clip, and are what training uses.
"""

from __future__ import annotations

import numpy as np

#: Predictions are clipped to [EPS, 1 − EPS] before a log: −log(EPS) ≈ 27.6 is the
#: largest loss one sample can contribute instead of ∞.
EPS = 1e-12

#: A loss above this means training has diverged: the weights have blown up. A cross-entropy of
#: 1000 needs logits around ±1000 on the wrong side. NaN and inf count too (test with ``not loss < …``).
DIVERGENCE_LOSS = 1e3


def binary_cross_entropy(Y, Y_hat) -> float:
    """L = −(1/m) Σ [y·log ŷ + (1 − y)·log(1 − ŷ)], the lesson's equation.

    Parameters
    ----------
    Y : ndarray of shape (1, m)
        True labels, 0 or 1.
    Y_hat : ndarray of shape (1, m)
        Predicted probabilities.
    """
    Y = np.asarray(Y, dtype=float)
    # The lesson's np.log(Y_hat) gives -inf (and the loss inf/NaN) once a prediction saturates at 0 or 1.
    Y_hat = np.clip(np.asarray(Y_hat, dtype=float), EPS, 1.0 - EPS)
    m = Y.shape[-1]
    return float(-np.sum(Y * np.log(Y_hat) + (1.0 - Y) * np.log1p(-Y_hat)) / m)


def binary_cross_entropy_from_logits(Y, Z) -> float:
    """The same loss from logits: −[y·log σ(z) + (1 − y)·log(1 − σ(z))] = log(1 + e^z) − y·z.

    ``np.logaddexp(0, z)`` is log(1 + e^z) without overflow, so the result is exact
    and finite for every finite ``Z``.
    """
    Y = np.asarray(Y, dtype=float)
    Z = np.asarray(Z, dtype=float)
    m = Y.shape[-1]
    return float((np.sum(np.logaddexp(0.0, Z)) - np.vdot(Y, Z)) / m)


def categorical_cross_entropy(Y, Y_hat) -> float:
    """L = −(1/m) Σ_i Σ_k y_ki·log ŷ_ki for one-hot ``Y`` and softmax outputs, both (n_classes, m)."""
    Y = np.asarray(Y, dtype=float)
    Y_hat = np.clip(np.asarray(Y_hat, dtype=float), EPS, 1.0)
    return float(-np.sum(Y * np.log(Y_hat)) / Y.shape[-1])


def categorical_cross_entropy_from_logits(Y, Z) -> float:
    """The same loss from logits: log Σ_k e^(z_k) − Σ_k y_k·z_k per sample, averaged."""
    Y = np.asarray(Y, dtype=float)
    Z = np.asarray(Z, dtype=float)
    zmax = Z.max(axis=0, keepdims=True)
    logsumexp = np.log(np.sum(np.exp(Z - zmax), axis=0)) + zmax[0]
    return float((np.sum(logsumexp) - np.vdot(Y, Z)) / Y.shape[-1])


def mean_squared_error(Y, Y_hat) -> float:
    """L = (1/m) Σ (y − ŷ)², the least-squares loss the lesson argues against after a sigmoid."""
    Y = np.asarray(Y, dtype=float)
    Y_hat = np.asarray(Y_hat, dtype=float)
    return float(np.sum((Y - Y_hat) ** 2) / Y.shape[-1])


def half_squared_error(Y, Y_hat) -> float:
    """L = (1/2m) Σ (ŷ − y)², the regression network's loss: the ½ makes ∂L/∂ŷ = (ŷ − y)/m, so a linear
    output gives dZ = A − Y like the two cross-entropies. The mean squared error is 2L, the RMSE √(2L)."""
    Y = np.asarray(Y, dtype=float)
    D = np.asarray(Y_hat, dtype=float) - Y
    return float(np.vdot(D, D) / (2 * Y.shape[-1]))


def one_weight_landscape(w, x=None, y=None) -> tuple[np.ndarray, np.ndarray]:
    """The loss of a one-weight logistic model ŷ = σ(w·x) as a function of w, under least squares
    and under cross-entropy (the lesson's argument for cross-entropy).

    Returns ``(mse, bce)`` for each value in ``w``. The default data is small and separable except
    for one point, which is where least squares after a sigmoid stops being convex.
    """
    x = np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 1.5]) if x is None else np.asarray(x, dtype=float)
    y = np.array([0, 0, 0, 1, 1, 1, 0], dtype=float) if y is None else np.asarray(y, dtype=float)
    w = np.asarray(w, dtype=float).reshape(-1, 1)
    Z = w * x  # (len(w), m)
    p = 0.5 * (1 + np.tanh(Z / 2))
    mse = np.mean((y - p) ** 2, axis=1)
    bce = np.mean(np.logaddexp(0, Z) - y * Z, axis=1)
    return mse, bce
