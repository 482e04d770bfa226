"""The McCulloch–Pitts neuron (lesson 1.2): binary inputs, a weight per input, a threshold.

It fires (outputs 1) when the weighted sum of its inputs reaches the threshold:
y = 1 if w1·x1 + w2·x2 ≥ θ else 0. Its decision boundary in the input plane is the
line w1·x1 + w2·x2 = θ, so it can only separate what one straight line separates:
AND, OR, NAND and NOT, but not XOR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.core.activations import get_activation, step
from nnviz.core.settings import TrainerSettings

#: The four binary input pairs, one per row: (0,0), (0,1), (1,0), (1,1).
INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)

#: The truth tables, in the order of INPUTS. NOT uses x1 only.
TARGETS = {
    "AND": (0, 0, 0, 1),
    "OR": (0, 1, 1, 1),
    "NAND": (1, 1, 1, 0),
    "NOT x1": (1, 1, 0, 0),
    "XOR": (0, 1, 1, 0),
}

#: Weights (w1, w2) and threshold θ that build each gate.
PRESETS = {
    "AND": (1.0, 1.0, 1.5),
    "OR": (1.0, 1.0, 0.5),
    "NAND": (-1.0, -1.0, -1.5),
    "NOT x1": (-1.0, 0.0, -0.5),
}


def weighted_sum(X, w1: float, w2: float) -> np.ndarray:
    """z = w1·x1 + w2·x2 for each row of ``X`` of shape (m, 2)."""
    X = np.asarray(X, dtype=float)
    return X[:, 0] * w1 + X[:, 1] * w2


def fire(X, w1: float, w2: float, threshold: float) -> np.ndarray:
    """The neuron's output, 0 or 1, for each row of ``X`` of shape (m, 2)."""
    return step(weighted_sum(X, w1, w2) - threshold).astype(int)


# the run the page's link opens: one hidden layer of 4 tanh units learns XOR
XOR_RUN = TrainerSettings(dataset="xor", hidden=4, lr=1.0, batch_size=16, epochs=200, activation="tanh", init="glorot",
                          speed="10")


def smooth(X, w1: float, w2: float, threshold: float, activation: str = "sigmoid", steepness: float = 1.0):
    """The same neuron with a smooth activation: g(k·(w·x − θ)). As k grows, σ approaches the step."""
    act = get_activation(activation)
    return act.f(steepness * (weighted_sum(X, w1, w2) - threshold))


def smooth_unit(X, w1: float, w2: float, threshold: float, activation: str = "sigmoid", steepness: float = 1.0):
    """``smooth`` on the step's scale, 0 to 1: tanh's −1…1 rescaled as (1 + tanh)/2 (which is σ(2z))."""
    y = smooth(X, w1, w2, threshold, activation, steepness)
    return (y + 1) / 2 if activation == "tanh" else y


@dataclass(frozen=True)
class TruthRow:
    x1: int
    x2: int
    weighted_sum: float
    output: int
    target: int | None


def truth_table(w1: float, w2: float, threshold: float, gate: str | None = None) -> list[TruthRow]:
    """One row per input pair: the weighted sum, the output, and the gate's target if one is given."""
    z = weighted_sum(INPUTS, w1, w2)
    y = fire(INPUTS, w1, w2, threshold)
    targets = TARGETS.get(gate) if gate else None
    return [TruthRow(int(x[0]), int(x[1]), float(s), int(o), None if targets is None else targets[i])
            for i, (x, s, o) in enumerate(zip(INPUTS, z, y, strict=True))]


def boundary_segment(w1: float, w2: float, threshold: float, low: float = -0.5, high: float = 1.5):
    """The part of the line w1·x1 + w2·x2 = θ inside the square [low, high]², as ((x1, y1), (x2, y2)),
    or None when the weights are both zero (no line: the neuron always or never fires)."""
    points = []
    if w2 != 0:
        for x in (low, high):
            y = (threshold - w1 * x) / w2
            if low - 1e-9 <= y <= high + 1e-9:
                points.append((x, y))
    if w1 != 0:
        for y in (low, high):
            x = (threshold - w2 * y) / w1
            if low - 1e-9 <= x <= high + 1e-9:
                points.append((x, y))
    unique = []
    for p in points:
        if not any(abs(p[0] - q[0]) < 1e-9 and abs(p[1] - q[1]) < 1e-9 for q in unique):
            unique.append(p)
    if len(unique) < 2:
        return None
    return unique[0], unique[1]


@dataclass(frozen=True)
class Separation:
    """The best a single threshold neuron does on a gate, found by searching weights and thresholds."""

    correct: int  # of 4
    w1: float
    w2: float
    threshold: float
    tried: int


def best_single_neuron(gate: str, values=None) -> Separation:
    """Search every (w1, w2, θ) on a grid (default −2 … 2 in steps of 0.25) for the most rows right.

    For XOR the answer is 3 of 4, whatever the grid: no line puts (0,1) and (1,0) on one side
    and (0,0) and (1,1) on the other.
    """
    values = np.arange(-2, 2.0001, 0.25) if values is None else np.asarray(values, dtype=float)
    target = np.array(TARGETS[gate])
    w1, w2, th = np.meshgrid(values, values, values, indexing="ij")
    # outputs for all combinations at once: shape (n, n, n, 4)
    z = w1[..., None] * INPUTS[:, 0] + w2[..., None] * INPUTS[:, 1]
    correct = ((z >= th[..., None]).astype(int) == target).sum(axis=-1)
    best = np.unravel_index(np.argmax(correct), correct.shape)
    return Separation(int(correct[best]), float(w1[best]), float(w2[best]), float(th[best]), int(correct.size))


def xor_from_gates(X=INPUTS) -> dict[str, np.ndarray]:
    """XOR with a hidden layer of threshold neurons: h1 = OR(x1, x2), h2 = NAND(x1, x2), y = AND(h1, h2)."""
    h1 = fire(X, *PRESETS["OR"])
    h2 = fire(X, *PRESETS["NAND"])
    y = fire(np.column_stack([h1, h2]), *PRESETS["AND"])
    return {"h1 = OR": h1, "h2 = NAND": h2, "y = AND(h1, h2)": y}
