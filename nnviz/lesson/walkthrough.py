"""One batch through the lesson's 2-4-1 network, derived as the lesson derives it (sections 1.3.1–1.3.8).

``derivation`` walks the lesson's equations in its order — the forward pass (5), (6), the loss (4), the
update rule (7)–(10), the chain rule (11)–(21), the deltas (22), (23) and the changes (24)–(27) — and gives
each step the real numbers of the current batch, computed by ``ShallowNN`` itself, so the page shows
exactly what training does. ``node_by_node`` is equation (1) for one sample and one hidden node;
``gradient_shapes`` is the shapes list that ends section 1.3.8.

The hidden activation comes from the registry (``nnviz.core.activations``): the lesson's network uses tanh,
and with another activation the steps that use its slope say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnviz.core.activations import get_activation
from nnviz.core.network import ShallowNN
from nnviz.lesson.equations import EQUATIONS, latex_matrix, tag
from nnviz.lesson.neuron import INPUTS, TARGETS

PHASES = {
    "data": "The batch",
    "forward": "Forward pass (1.3.3)",
    "loss": "The loss (1.3.2)",
    "goal": "What we want: the update (1.3.8)",
    "chain": "The chain rule (1.3.8)",
    "delta": "The deltas, as the code names them (1.3.8)",
    "update": "The changes of the weights and biases (1.3.8)",
}


@dataclass(frozen=True)
class Step:
    """One step of the derivation: the lesson's equation (``number``; None for the batch itself) as shown,
    and the live values beside it, each (LaTeX symbol, matrix)."""

    number: int | None
    phase: str  # a key of PHASES
    latex: str  # the equation as shown, tagged with its lesson number
    values: list[tuple[str, np.ndarray]]
    meaning: str
    code: str = ""  # the code's form, tagged, where it is written differently
    relation: str = ""  # how the two forms relate
    differs: str = ""  # where the lesson is wrong or loose
    check: str = ""  # a live check of the step, in words
    notes: list[str] = field(default_factory=list)  # e.g. the activation is not the lesson's tanh

    @property
    def live(self) -> str:
        """The values as LaTeX: ``Z^{[1]} = [[…]]`` for each, with its shape."""
        return r"\qquad ".join(rf"{sym} = {latex_matrix(v)}" for sym, v in self.values)

    @property
    def shapes(self) -> list[str]:
        return ["×".join(str(n) for n in np.atleast_2d(v).shape) for _, v in self.values]


def lesson_network(seed: int = 0, init_scale: float = 0.5, activation: str = "tanh") -> ShallowNN:
    """The lesson's 2-4-1 network: 2 inputs, 4 hidden units (tanh in the lesson), 1 sigmoid output.

    ``init_scale`` 0.5 rather than the lesson's 0.01, so that the matrices on screen are not all
    nearly zero.
    """
    return ShallowNN(2, 4, 1, activation=activation, init_scale=init_scale, seed=seed)


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


def derivation(model: ShallowNN, X, Y, lr: float = 1.0) -> list[Step]:
    """The lesson's equations (4)–(27) on one batch, in the lesson's order, with live values.

    ``model`` is a one-output network; ``X`` has shape (n_x, m), ``Y`` shape (1, m); ``lr`` is the α of
    the changes shown in (7), (8) and (24)–(27). ``model.cache`` and ``model.grads`` are left set, ready
    for ``update_weights``.
    """
    if model.n_output != 1:
        raise ValueError(f"the lesson's derivation is for one sigmoid output, got {model.n_output} outputs")
    act = get_activation(model.activation)
    A2 = model.forward(X)
    J = model.compute_loss(Y, A2)
    model.backward(X, Y)
    c, g, p = model.cache, model.grads, model.params
    m = X.shape[1]
    A1, Z1, Z2 = c["A1"], c["Z1"], c["Z2"]
    W2, b2 = p["W2"], p["b2"]
    slope = act.df(A1)
    dZ2 = A2 - Y  # (22); backward() keeps only the lesson's grads, so the two errors are recomputed here
    dZ1 = (W2.T @ dZ2) * slope  # (23)
    eps = 1e-12  # per-sample loss of (4) and the quotient of (12) stay finite when a prediction saturates
    A2c = np.clip(A2, eps, 1 - eps)
    L = -(Y * np.log(A2c) + (1 - Y) * np.log(1 - A2c))
    dL_dy = (A2 - Y) / (A2c * (1 - A2c))  # (12)
    dy_dz = A2 * (1 - A2)  # (13)
    chained = dL_dy * dy_dz
    not_tanh = [] if act.name == "tanh" else [
        f"The lesson's network uses tanh; this one uses {act.label}, so its slope is "
        f"${act.slope_of('A^{[1]}')}$ where the lesson writes $1 - (A^{{[1]}})^2$."]

    def eq(n: int, values, *, check: str = "", notes=(), **override) -> Step:
        e = EQUATIONS[n]
        latex, code = e.lesson_for(act.name), e.code_for(act.name)
        return Step(n, override.get("phase", "chain"), tag(latex, n), list(values), override.get("meaning", e.meaning),
                    tag(code, n) if code else "", e.relation, e.differs, check, list(notes))

    W2_step, b2_step = lr * g["dW2"], lr * g["db2"]
    steps = [
        Step(None, "data", r"X = \left[x^{(1)} \cdots x^{(m)}\right],\quad y = \left[y^{(1)} \cdots y^{(m)}\right]",
             [("X", X), ("y", Y)], f"the batch: m = {m} samples in columns, one row per feature; the labels below"),
        eq(5, [("Z^{[1]}", Z1), ("A^{[1]}", A1)], phase="forward", notes=not_tanh),
        eq(6, [("Z^{[2]}", Z2), (r"A^{[2]} = \hat{y}", A2)], phase="forward"),
        eq(4, [(r"L(y, \hat{y})", L), ("J", np.array([[J]]))], phase="loss",
           check=f"J = {J:.4f}, the mean of the {m} per-sample losses L."),
        eq(7, [(r"W^{[2]}_{old}", W2), (r"-\alpha\,\frac{\partial J}{\partial W^{[2]}}", -W2_step),
               (r"W^{[2]}_{new}", W2 - W2_step)], phase="goal",
           meaning=f"gradient descent: each weight moves against its slope (here with α = {lr:g}; the lesson's "
                   "step is α = 1)"),
        eq(8, [(r"b^{[2]}_{old}", b2), (r"-\alpha\,\frac{\partial J}{\partial b^{[2]}}", -b2_step),
               (r"b^{[2]}_{new}", b2 - b2_step)], phase="goal"),
        eq(9, [(r"-\frac{\partial J}{\partial W^{[1]}}", -g["dW1"])], phase="goal"),
        eq(10, [(r"-\frac{\partial J}{\partial W^{[2]}}", -g["dW2"])], phase="goal"),
        eq(11, [(r"\hat{y}", A2), ("y", Y)]),
        eq(12, [(r"\frac{\partial L}{\partial \hat{y}}", dL_dy)]),
        eq(13, [(r"\frac{\partial \hat{y}}{\partial Z^{[2]}}", dy_dz)]),
        eq(14, [(r"\frac{\partial L}{\partial \hat{y}}\odot\frac{\partial \hat{y}}{\partial Z^{[2]}}", chained)]),
        eq(15, [(r"\frac{A^{[2]} - y}{A^{[2]}\odot(1 - A^{[2]})}\odot A^{[2]}\odot(1 - A^{[2]})", chained)]),
        eq(16, [(r"A^{[2]} - y", A2 - Y)],
           check=f"(12)·(13) and A^[2] − y differ by at most {float(np.max(np.abs(chained - (A2 - Y)))):.1e}: "
                 "the sigmoid's slope cancels the loss's denominator."),
        eq(17, [(r"\frac{\partial Z^{[2]}}{\partial W^{[2]}} = A^{[1]}", A1)]),
        eq(18, [(r"W^{[2]T}", W2.T), (rf"\frac{{\partial {act.symbol}(Z^{{[1]}})}}{{\partial Z^{{[1]}}}}", slope)],
           notes=not_tanh),
        eq(19, [(rf"\frac{{\partial {act.symbol}(Z^{{[1]}})}}{{\partial Z^{{[1]}}}} = {act.slope_of('A^{[1]}')}", slope),
                ("X", X)], notes=not_tanh),
        eq(20, [(r"dW^{[1]} = \frac{\partial J}{\partial W^{[1]}}", g["dW1"])], notes=not_tanh,
           check="dW^[1] is what ShallowNN.backward computed; the gradient check below compares it with central "
                 "differences of the loss."),
        eq(21, [(r"dW^{[2]} = \frac{\partial J}{\partial W^{[2]}}", g["dW2"])]),
        eq(22, [(r"\Delta^{[2]} = dZ^{[2]}", dZ2)], phase="delta"),
        eq(23, [(r"\Delta^{[1]} = dZ^{[1]}", dZ1)], phase="delta", notes=not_tanh),
        eq(24, [(r"-\Delta^{[2]}A^{[1]T}\ \text{(summed)}", -(dZ2 @ A1.T)), (r"-\alpha\,dW^{[2]}", -W2_step)],
           phase="update", check=f"Summed over the batch, the lesson's product is m = {m} times dW^[2]; the code "
                                 f"averages (1/m) and steps by α = {lr:g}."),
        eq(25, [(r"-\Delta^{[1]}X^{T}\ \text{(summed)}", -(dZ1 @ X.T)), (r"-\alpha\,dW^{[1]}", -lr * g["dW1"])],
           phase="update"),
        eq(26, [(r"\frac{1}{m}\sum_{i} dZ^{[2](i)}", g["db2"]), (r"\Delta b^{[2]} = -\alpha\,db^{[2]}", -b2_step)],
           phase="update"),
        eq(27, [(r"\frac{1}{m}\sum_{i} dZ^{[1](i)}", g["db1"]), (r"\Delta b^{[1]} = -\alpha\,db^{[1]}", -lr * g["db1"])],
           phase="update"),
    ]
    return steps


@dataclass(frozen=True)
class ShapeLine:
    symbols: str  # LaTeX
    names: str  # the lesson's shape, with n_x, n_h, n_y and m
    shape: tuple[int, int]  # the live shape


def gradient_shapes(model: ShallowNN, m: int) -> list[ShapeLine]:
    """The shapes list that ends section 1.3.8, with the lesson's names (n_x, n_h, n_y) and the live numbers;
    every shape is read off the arrays ``backward`` produced for a batch of ``m``."""
    n_h, n_y = model.n_hidden, model.n_output
    g = model.grads
    if not g:
        raise ValueError("run backward (or derivation) on a batch first: the shapes are read off its gradients")
    return [
        ShapeLine(r"A^{[2]},\ Y,\ dZ^{[2]}", "(n_y, m)", (n_y, m)),
        ShapeLine(r"dW^{[2]}", "(n_y, n_h)", g["dW2"].shape),
        ShapeLine(r"db^{[2]}", "(n_y, 1)", g["db2"].shape),
        ShapeLine(r"dZ^{[1]}", "(n_h, m)", (n_h, m)),
        ShapeLine(r"dW^{[1]}", "(n_h, n_x)", g["dW1"].shape),
        ShapeLine(r"db^{[1]}", "(n_h, 1)", g["db1"].shape),
    ]


@dataclass(frozen=True)
class NodeView:
    """Equation (1) for one sample: node ``i`` of the hidden layer, and the whole layer stacked."""

    i: int  # 1-based, as the lesson numbers the nodes
    x: np.ndarray  # shape (2, 1)
    w: np.ndarray  # node i's weights w_i1, w_i2
    b: float
    z: float
    a: float
    Z1: np.ndarray  # (n_h, 1)
    A1: np.ndarray  # (n_h, 1)
    Z2: float
    A2: float
    node_latex: str  # z_i = w_i1·x1 + w_i2·x2 + b_i and a_i = f(z_i), with the numbers, one step a line
    stacked_latex: str  # Z^{[1]} = W^{[1]}·x + B^{[1]} with the numbers, tagged (1)
    output_latex: str  # A^{[1]} = f(Z^{[1]}), then the output node: Z^{[2]} and ŷ, with the numbers


def node_by_node(model: ShallowNN, x, i: int) -> NodeView:
    """Node ``i`` (1 … n_h) of ``model``'s hidden layer on the single sample ``x`` = (x1, x2): its weighted sum
    and activation, and equation (1) stacked for the whole layer, all with the numbers."""
    if model.n_input != 2:
        raise ValueError(f"the per-node view is for two inputs, got {model.n_input}")
    if not 1 <= i <= model.n_hidden:
        raise ValueError(f"node must be between 1 and {model.n_hidden}, got {i!r}")
    act = get_activation(model.activation)
    x = np.asarray(x, dtype=float).reshape(2, 1)
    p = model.params
    W1, b1 = p["W1"], p["b1"]
    Z1 = W1 @ x + b1
    A1 = act.f(Z1)
    Z2 = float((p["W2"] @ A1 + p["b2"])[0, 0])
    A2 = float(1 / (1 + np.exp(-Z2)))
    w, b = W1[i - 1], float(b1[i - 1, 0])
    z, a = float(Z1[i - 1, 0]), float(A1[i - 1, 0])
    f = act.symbol
    # one step a line: the numbers put in would not fit beside the symbols on a projector
    node = (rf"\begin{{aligned}} z_{i} &= w_{{{i}1}}x_1 + w_{{{i}2}}x_2 + b_{i} \\ "
            rf"&= ({w[0]:.3f})({x[0, 0]:g}) + ({w[1]:.3f})({x[1, 0]:g}) + ({b:.3f}) \\ &= {z:.3f} \\ "
            rf"a_{i} &= {f}(z_{i}) = {a:.3f}\end{{aligned}}")
    stacked = tag(rf"\underbrace{{{latex_matrix(Z1)}}}_{{Z^{{[1]}}:\ {model.n_hidden}\times1}} = "
                  rf"\underbrace{{{latex_matrix(W1)}}}_{{W^{{[1]}}:\ {model.n_hidden}\times2}}\cdot"
                  rf"\underbrace{{{latex_matrix(x, digits=2)}}}_{{x:\ 2\times1}} + "
                  rf"\underbrace{{{latex_matrix(b1)}}}_{{B^{{[1]}}:\ {model.n_hidden}\times1}}", 1)
    output = (rf"\begin{{aligned}} A^{{[1]}} &= {f}(Z^{{[1]}}) \\ Z^{{[2]}} &= W^{{[2]}}A^{{[1]}} + b^{{[2]}} = {Z2:.3f} "
              rf"\\ \hat{{y}} &= \sigma(Z^{{[2]}}) = {A2:.3f}\end{{aligned}}")
    return NodeView(i, x, w.copy(), b, z, a, Z1, A1, Z2, A2, node, stacked, output)
