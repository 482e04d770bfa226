"""The lesson's forward and backward equations in LaTeX, each symbol annotated with its current shape.

Samples are columns (the lesson's layout): with n inputs, h hidden units, k outputs and
a batch of m samples, X is n×m, W1 is h×n, Z1 and A1 are h×m, and so on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_G = {"tanh": r"\tanh", "sigmoid": r"\sigma", "relu": r"\mathrm{ReLU}", "leaky_relu": r"\mathrm{LReLU}",
      "linear": r"\mathrm{id}"}
_G_PRIME = {"tanh": r"(1 - A_1^{2})", "sigmoid": r"A_1(1 - A_1)", "relu": r"[Z_1 > 0]",
            "leaky_relu": r"\max(0.01, [Z_1 > 0])", "linear": "1"}


@dataclass(frozen=True)
class Equation:
    """One line: the LaTeX, and what it computes in words."""

    latex: str
    meaning: str


def _s(symbol: str, rows: int, cols: int | None = None) -> str:
    shape = f"{rows}" if cols is None else f"{rows}\\times{cols}"
    return rf"\underbrace{{{symbol}}}_{{{shape}}}"


def forward_equations(n_input: int, n_hidden: int, n_output: int, m: int, activation: str = "tanh") -> list[Equation]:
    n, h, k = n_input, n_hidden, n_output
    g = _G.get(activation, r"g")
    out = r"\sigma" if k == 1 else r"\mathrm{softmax}"
    loss = (
        r"L = -\frac{1}{m}\sum_{i=1}^{m}\left[y_i \log a_i + (1 - y_i)\log(1 - a_i)\right]"
        if k == 1 else r"L = -\frac{1}{m}\sum_{i=1}^{m}\sum_{c=1}^{k} y_{ci}\log a_{ci}"
    )
    return [
        Equation(f"{_s('Z_1', h, m)} = {_s('W_1', h, n)}\\,{_s('X', n, m)} + {_s('b_1', h, 1)}",
                 "weighted sums of the inputs, one column per sample (b₁ is added to every column)"),
        Equation(f"{_s('A_1', h, m)} = {g}(Z_1)", "the hidden layer's activations"),
        Equation(f"{_s('Z_2', k, m)} = {_s('W_2', k, h)}\\,{_s('A_1', h, m)} + {_s('b_2', k, 1)}",
                 "weighted sums of the hidden activations"),
        Equation(f"{_s('A_2', k, m)} = {out}(Z_2)", "the predicted probabilities"),
        Equation(loss + f"\\quad (m = {m})", "cross-entropy, averaged over the batch"),
    ]


def backward_equations(n_input: int, n_hidden: int, n_output: int, m: int, activation: str = "tanh") -> list[Equation]:
    n, h, k = n_input, n_hidden, n_output
    slope = _G_PRIME.get(activation, "g'(Z_1)")
    return [
        Equation(f"{_s('dZ_2', k, m)} = A_2 - Y", "the output error: the loss's gradient with respect to Z₂"),
        Equation(f"{_s('dW_2', k, h)} = \\frac{{1}}{{m}}\\,{_s('dZ_2', k, m)}\\,{_s('A_1^{T}', m, h)}",
                 "how much each hidden-to-output weight contributed"),
        Equation(f"{_s('db_2', k, 1)} = \\frac{{1}}{{m}}\\sum_{{i}} dZ_2^{{(i)}}", "the output error averaged over the batch"),
        Equation(f"{_s('dZ_1', h, m)} = {_s('W_2^{T}', h, k)}\\,{_s('dZ_2', k, m)} \\odot "
                 f"{slope}",
                 "the error sent back through W₂, times the activation's slope"),
        Equation(f"{_s('dW_1', h, n)} = \\frac{{1}}{{m}}\\,{_s('dZ_1', h, m)}\\,{_s('X^{T}', m, n)}",
                 "how much each input-to-hidden weight contributed"),
        Equation(f"{_s('db_1', h, 1)} = \\frac{{1}}{{m}}\\sum_{{i}} dZ_1^{{(i)}}", "the hidden error averaged over the batch"),
        Equation(r"W \leftarrow W - \alpha\,dW,\quad b \leftarrow b - \alpha\,db",
                 "one step of gradient descent with learning rate α"),
    ]


def latex_matrix(A, digits: int = 3, max_cols: int = 8) -> str:
    """A small matrix as LaTeX ``bmatrix`` (columns beyond ``max_cols`` elided)."""
    A = np.atleast_2d(np.asarray(A, dtype=float))
    cols = A.shape[1]
    shown = A[:, :max_cols]
    rows = []
    for row in shown:
        cells = [f"{v:.{digits}f}" for v in row]
        if cols > max_cols:
            cells.append(r"\cdots")
        rows.append(" & ".join(cells))
    return r"\begin{bmatrix}" + r" \\ ".join(rows) + r"\end{bmatrix}"
