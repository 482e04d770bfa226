"""Weight penalties (regularization), as TensorFlow Playground has them: none, L1 or L2, with a rate λ.

The objective a training step minimises is the data loss plus the penalty on the weights — never the biases:

    J = L(Y, A^{[L]}) + λ·Σ_l R(W^{[l]})        L2: R(W) = Σ ½·w²     L1: R(W) = Σ |w|

so each weight's gradient gains λ·R'(w): λ·w for L2 ("weight decay"), λ·sign(w) for L1 (sign(0) = 0; L1 has
no derivative at 0, and the subgradient 0 leaves a weight that is exactly 0 alone). The penalty is not divided
by the batch size: its weight against the data loss does not depend on the batch, as in the Playground and
Keras.

Each entry holds the functions and the LaTeX a page shows, so the formula rendered and the one computed are
the same entry.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


def _l2_value(w) -> float:
    return 0.5 * float(np.vdot(w, w))


def _l2_der(w, out=None):
    # R'(w) = w: the weights themselves, no copy needed
    return w


def _l1_value(w) -> float:
    return float(np.sum(np.abs(w)))


def _l1_der(w, out=None):
    return np.sign(w, out=out)


@dataclass(frozen=True)
class Regularization:
    """One penalty: ``value(w)`` = Σ R(w) over an array, ``der(w, out)`` = R'(w) elementwise, and the LaTeX."""

    name: str
    label: str
    value: Callable | None
    der: Callable | None
    penalty: str  # LaTeX of λ·Σ R(W) for W^{[l]}
    gradient: str  # LaTeX of what it adds to dW^{[l]}


REGULARIZATIONS: dict[str, Regularization] = {
    r.name: r
    for r in (
        Regularization("none", "None", None, None, "0", "0"),
        Regularization("l1", "L1", _l1_value, _l1_der,
                       r"\lambda \sum_{l}\sum_{i,j} \left|W^{[l]}_{ij}\right|",
                       r"\lambda\, \operatorname{sign}\!\left(W^{[l]}\right)"),
        Regularization("l2", "L2", _l2_value, _l2_der,
                       r"\lambda \sum_{l}\sum_{i,j} \tfrac{1}{2}\left(W^{[l]}_{ij}\right)^{2}",
                       r"\lambda\, W^{[l]}"),
    )
}


def get_regularization(name) -> Regularization:
    """The registry entry for ``name`` ("none", "l1", "l2"); a ``ValueError`` listing the choices otherwise."""
    try:
        return REGULARIZATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown regularization {name!r}; choose one of {', '.join(REGULARIZATIONS)}") from None


def check_reg_rate(rate) -> float:
    """The regularization rate λ as a finite float ≥ 0."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not np.isfinite(rate) or rate < 0:
        raise ValueError(f"regularization rate must be a finite number ≥ 0, got {rate!r}")
    return float(rate)
