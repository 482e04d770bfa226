"""Checks at the boundary of every public entry point.

Each raises ``ValueError`` whose message names the parameter and the bad value
(scikit-learn's style), so a page can show it to the user as it is.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def check_int(name: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    """``value`` as an ``int`` within [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise ValueError(f"{name} must be a whole number, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value!r}")
    return value


def check_positive_float(name: str, value) -> float:
    """``value`` as a finite ``float`` > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number > 0, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value


def check_learning_rate(lr) -> float:
    """The learning rate as a finite ``float`` > 0."""
    return check_positive_float("learning rate", lr)


def check_fraction(name: str, value, low: float = 0.0, high: float = 1.0) -> float:
    """``value`` as a float strictly between ``low`` and ``high``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not low < float(value) < high:
        raise ValueError(f"{name} must be between {low} and {high} (exclusive), got {value!r}")
    return float(value)


def check_array(name: str, X, ndim: int) -> np.ndarray:
    """``X`` as a float array with ``ndim`` dimensions, at least one sample, and no NaN or inf."""
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be numeric, got {type(X).__name__}") from None
    if X.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {X.shape}")
    if X.size == 0:
        raise ValueError(f"{name} is empty (shape {X.shape})")
    if not np.isfinite(X).all():
        bad = np.argwhere(~np.isfinite(X))[0]
        raise ValueError(f"{name} contains {float(X[tuple(bad)])!r} at index {tuple(int(i) for i in bad)}; remove NaN/inf values")
    return X


def check_labels(name: str, y, n_classes: int, m: int) -> np.ndarray:
    """Integer class labels in 0 … n_classes−1, one per sample (``m`` of them)."""
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a vector of labels, got shape {y.shape}")
    if y.shape[0] != m:
        raise ValueError(f"{name} has {y.shape[0]} labels but X has {m} samples")
    try:
        yf = y.astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must hold class numbers 0 … {n_classes - 1}, got dtype {y.dtype}") from None
    bad = ~np.isfinite(yf) | (yf != np.round(yf)) | (yf < 0) | (yf > n_classes - 1)
    if bad.any():
        raise ValueError(f"{name} must hold class numbers 0 … {n_classes - 1}, got {y[np.argmax(bad)].item()!r}")
    return yf.astype(np.int64)
