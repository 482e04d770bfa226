"""One batch through the lesson's 2-4-1 network, step by step (lessons 1.3.2–1.3.8).

``steps`` returns every quantity of the forward pass, the loss and the backward pass in
the order the lesson derives them — each the real matrix, with its shape, the equation
that produced it and what it means — computed by ``ShallowNN`` itself, so the page shows
exactly what training does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.network import ShallowNN
from nnviz.neuron import INPUTS, TARGETS


@dataclass(frozen=True)
class Step:
    phase: str  # "data", "forward", "loss", "backward"
    symbol: str
    latex: str
    value: np.ndarray
    meaning: str

    @property
    def tex(self) -> str:
        """The symbol in LaTeX: Z1 → Z_1, dW2 → dW_2."""
        return self.symbol[:-1] + "_" + self.symbol[-1] if self.symbol[-1].isdigit() else self.symbol

    @property
    def shape(self) -> str:
        return "×".join(str(n) for n in np.atleast_2d(self.value).shape)


def lesson_network(seed: int = 0, init_scale: float = 0.5) -> ShallowNN:
    """The lesson's 2-4-1 network: 2 inputs, 4 tanh hidden units, 1 sigmoid output.

    ``init_scale`` 0.5 rather than the lesson's 0.01, so that the matrices on screen are not all
    nearly zero.
    """
    return ShallowNN(2, 4, 1, activation="tanh", init_scale=init_scale, seed=seed)


def lesson_batch(m: int = 4, seed: int = 0):
    """A batch of ``m`` XOR samples: the four corners (0,0), (0,1), (1,0), (1,1), then jittered
    copies of them. ``X`` has shape (2, m), ``Y`` shape (1, m)."""
    if not 1 <= m <= 64:
        raise ValueError(f"batch size must be between 1 and 64, got {m!r}")
    corners = INPUTS[np.arange(m) % 4]
    jitter = np.random.default_rng(seed).normal(0, 0.1, corners.shape) * (np.arange(m) >= 4)[:, None]
    X = np.round(corners + jitter, 2).T
    Y = np.array([TARGETS["XOR"]])[:, np.arange(m) % 4].astype(float)
    return X, Y


def steps(model: ShallowNN, X, Y) -> list[Step]:
    """Forward pass, loss and backward pass on one batch, as a list of steps (``model.cache`` and
    ``model.grads`` are left set, ready for ``update_weights``)."""
    A2 = model.forward(X)
    loss = model.compute_loss(Y, A2)
    model.backward(X, Y)
    c, g, p = model.cache, model.grads, model.params
    # backward() keeps only the lesson's grads; the two errors in between are shown too
    dZ2 = c["A2"] - Y
    dZ1 = (p["W2"].T @ dZ2) * model.g.df(c["A1"])
    return [
        Step("data", "X", r"X = [x^{(1)} \cdots x^{(m)}]", X, "the batch: one column per sample, one row per feature"),
        Step("data", "Y", r"Y = [y^{(1)} \cdots y^{(m)}]", Y, "the labels, one per column"),
        Step("forward", "Z1", r"Z_1 = W_1 X + b_1", c["Z1"],
             "each hidden unit's weighted sum of the inputs (b₁ is added to every column)"),
        Step("forward", "A1", r"A_1 = \tanh(Z_1)", c["A1"], "the hidden layer's activations, between −1 and 1"),
        Step("forward", "Z2", r"Z_2 = W_2 A_1 + b_2", c["Z2"], "the output unit's weighted sum of the hidden activations"),
        Step("forward", "A2", r"A_2 = \sigma(Z_2) = \hat{Y}", c["A2"], "the predicted probability of class 1 for each sample"),
        Step("loss", "L", r"L = -\tfrac{1}{m}\textstyle\sum_i \big[y_i \log a_i + (1 - y_i)\log(1 - a_i)\big]",
             np.array([[loss]]), "binary cross-entropy, averaged over the batch"),
        Step("backward", "dZ2", r"dZ_2 = \frac{\partial L}{\partial Z_2}\cdot m = A_2 - Y", dZ2,
             "the output error: σ' and the log of the loss cancel, leaving prediction minus label"),
        Step("backward", "dW2", r"dW_2 = \frac{1}{m}\, dZ_2 A_1^{T}", g["dW2"],
             "each hidden unit's activation times the output error, averaged"),
        Step("backward", "db2", r"db_2 = \frac{1}{m}\sum_i dZ_2^{(i)}", g["db2"], "the output error, averaged"),
        Step("backward", "dZ1", r"dZ_1 = W_2^{T} dZ_2 \odot (1 - A_1^{2})", dZ1,
             "the error sent back through W₂, times tanh's slope at each unit"),
        Step("backward", "dW1", r"dW_1 = \frac{1}{m}\, dZ_1 X^{T}", g["dW1"], "each input times the hidden error, averaged"),
        Step("backward", "db1", r"db_1 = \frac{1}{m}\sum_i dZ_1^{(i)}", g["db1"], "the hidden error, averaged"),
    ]
