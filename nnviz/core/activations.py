"""Activation functions as (f, df) pairs in one registry.

Pages, charts, the network and validation all read ``ACTIVATIONS``; nothing else
defines an activation. ``df`` takes the *output* ``a = f(z)`` rather than ``z``,
because for the lesson's functions the derivative is cheapest written that way
(σ' = a(1 − a), tanh' = 1 − a², as scikit-learn's ``neural_network/_base.py``
and TensorFlow Playground's ``{output, der}`` do): backpropagation reuses the
activations stored by the forward pass and never recomputes f.

Every ``f`` and elementwise ``df`` accepts ``out=`` so the training loop can
reuse buffers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit

LEAKY_SLOPE = 0.01


def sigmoid(z, out=None):
    """σ(z) = 1 / (1 + e^(−z)), computed without overflow for any finite z.

    The lesson's ``1/(1 + np.exp(-x))`` overflows in ``exp`` for x < −709 and
    warns; ``scipy.special.expit`` evaluates the same function stably.
    """
    return expit(z, out=out)


def sigmoid_df(a, out=None):
    """σ'(z) = σ(z)(1 − σ(z)) = a(1 − a)."""
    out = np.subtract(1.0, a, out=out)
    return np.multiply(out, a, out=out)


def tanh(z, out=None):
    """tanh(z) = (e^z − e^(−z)) / (e^z + e^(−z))."""
    return np.tanh(z, out=out)


def tanh_df(a, out=None):
    """tanh'(z) = 1 − tanh²(z) = 1 − a²."""
    out = np.multiply(a, a, out=out)
    return np.subtract(1.0, out, out=out)


def relu(z, out=None):
    """ReLU(z) = max(0, z)."""
    return np.maximum(z, 0.0, out=out)


def relu_df(a, out=None):
    """ReLU'(z) = 1 if z > 0 else 0; a > 0 exactly when z > 0."""
    return _as_float(a > 0, out)


def leaky_relu(z, out=None):
    """Leaky ReLU(z) = z if z > 0 else 0.01·z."""
    return np.maximum(z, LEAKY_SLOPE * z, out=out)


def leaky_relu_df(a, out=None):
    """1 if z > 0 else 0.01; the output keeps the sign of z."""
    d = np.where(a > 0, 1.0, LEAKY_SLOPE)
    return _as_float(d, out)


def linear(z, out=None):
    """The identity: a linear unit, f(z) = z."""
    if out is None:
        return np.array(z, dtype=float, copy=True)
    np.copyto(out, z)
    return out


def linear_df(a, out=None):
    """f'(z) = 1."""
    if out is None:
        return np.ones_like(a, dtype=float)
    out.fill(1.0)
    return out


def step(z, out=None):
    """The McCulloch–Pitts threshold: fires (1) when the weighted sum z ≥ 0."""
    return _as_float(np.asarray(z) >= 0, out)


def step_df(a, out=None):
    """0 everywhere it exists: no gradient flows through a threshold unit."""
    if out is None:
        return np.zeros_like(a, dtype=float)
    out.fill(0.0)
    return out


def softmax(z, axis=0):
    """softmax(z)_k = e^(z_k) / Σ_j e^(z_j), along ``axis`` (classes, axis 0 as in the lesson).

    Subtracting the maximum first leaves the result unchanged and keeps ``exp``
    from overflowing.
    """
    z = np.asarray(z, dtype=float)
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_df(a):
    """The Jacobian ∂softmax_i/∂z_j = a_i(δ_ij − a_j) for one vector of outputs ``a``."""
    a = np.asarray(a, dtype=float).reshape(-1)
    return np.diag(a) - np.outer(a, a)


def _as_float(values, out):
    if out is None:
        return np.asarray(values, dtype=float)
    np.copyto(out, values)
    return out


@dataclass(frozen=True)
class Activation:
    """One activation: the function, its derivative from the output, and what a page shows of it.

    ``df(a)`` returns f'(z) given ``a = f(z)``; to plot f' against z use ``df(f(z))``.
    """

    name: str
    label: str
    f: Callable
    df: Callable
    formula: str  # LaTeX of f
    dformula: str  # LaTeX of f'
    output_range: str  # as a reader would write it
    derivative_range: str
    trainable: bool = True  # gradient descent can train a hidden layer of these
    elementwise: bool = True
    symbol: str = "g"  # LaTeX of the function's name in an equation: \tanh, \sigma
    # LaTeX of f' written with the output, "{a}" standing for it, as ``df`` computes it — elementwise, so that it
    # reads right when {a} is a whole layer's matrix (⊙, and [a > 0] for a 0/1 mask)
    slope: str = "g'(Z)"

    def derivative(self, z):
        """f'(z) as a function of the input, for plotting."""
        return self.df(self.f(np.asarray(z, dtype=float)))

    def slope_of(self, a: str) -> str:
        """The derivative as backpropagation computes it, in LaTeX, for the output named ``a``:
        ``ACTIVATIONS["tanh"].slope_of("A^{[1]}")`` → ``1 - (A^{[1]})^{2}``."""
        return self.slope.replace("{a}", a)

    def slope_factor(self, a: str) -> str:
        r"""``slope_of(a)`` as a factor of a product: in brackets when it is a sum or difference, so that
        ``dZ \odot`` it multiplies the whole slope (``… ⊙ (1 − A²)``, never ``(… ⊙ 1) − A²``)."""
        slope = self.slope_of(a)
        return rf"\left({slope}\right)" if has_top_level_sum(slope) else slope


def has_top_level_sum(latex: str) -> bool:
    """Whether ``latex`` is a sum or difference at its top level (a + or − outside every bracket and group,
    other than a leading sign)."""
    depth = 0
    for k, ch in enumerate(latex):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch in "+-" and depth == 0 and latex[:k].strip():
            return True
    return False


ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            "sigmoid", "Sigmoid", sigmoid, sigmoid_df,
            r"\sigma(z) = \frac{1}{1 + e^{-z}}", r"\sigma'(z) = \sigma(z)\,(1 - \sigma(z))",
            "(0, 1)", "(0, 0.25]", symbol=r"\sigma", slope=r"{a} \odot (1 - {a})",
        ),
        Activation(
            "tanh", "Tanh", tanh, tanh_df,
            r"\tanh(z) = \frac{e^{z} - e^{-z}}{e^{z} + e^{-z}}", r"\tanh'(z) = 1 - \tanh^2(z)",
            "(-1, 1)", "(0, 1]", symbol=r"\tanh", slope=r"1 - ({a})^{2}",
        ),
        Activation(
            "relu", "ReLU", relu, relu_df,
            r"\mathrm{ReLU}(z) = \max(0, z)", r"\mathrm{ReLU}'(z) = \begin{cases}1 & z > 0\\ 0 & z \le 0\end{cases}",
            "[0, ∞)", "{0, 1}", symbol=r"\mathrm{ReLU}", slope=r"[{a} > 0]",
        ),
        Activation(
            "leaky_relu", "Leaky ReLU", leaky_relu, leaky_relu_df,
            r"\mathrm{LReLU}(z) = \max(0.01\,z, z)", r"\mathrm{LReLU}'(z) = \begin{cases}1 & z > 0\\ 0.01 & z \le 0\end{cases}",
            "(-∞, ∞)", "{0.01, 1}", symbol=r"\mathrm{LReLU}", slope=r"\max(0.01, [{a} > 0])",
        ),
        Activation(
            "linear", "Linear", linear, linear_df,
            r"f(z) = z", r"f'(z) = 1",
            "(-∞, ∞)", "{1}", symbol=r"\mathrm{id}", slope="1",
        ),
        Activation(
            "step", "Step (McCulloch–Pitts)", step, step_df,
            r"f(z) = \begin{cases}1 & z \ge 0\\ 0 & z < 0\end{cases}", r"f'(z) = 0 \quad (z \ne 0)",
            "{0, 1}", "{0}", trainable=False, symbol=r"\mathrm{step}", slope="0",
        ),
        Activation(
            "softmax", "Softmax", softmax, softmax_df,
            r"\mathrm{softmax}(z)_k = \frac{e^{z_k}}{\sum_j e^{z_j}}",
            r"\frac{\partial\,\mathrm{softmax}_i}{\partial z_j} = s_i(\delta_{ij} - s_j)",
            "(0, 1), sums to 1", "[-0.25, 0.25]", trainable=False, elementwise=False,
            symbol=r"\mathrm{softmax}", slope=r"\mathrm{diag}({a}) - {a}{a}^{T}",
        ),
    )
}

#: Activations a hidden layer can use (elementwise and with a useful gradient).
HIDDEN_ACTIVATIONS = tuple(name for name, a in ACTIVATIONS.items() if a.trainable and a.elementwise)


def get_activation(name: str) -> Activation:
    """The registry entry for ``name``; a ``ValueError`` that lists the choices otherwise."""
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}") from None


# ----------------------------------------------------------------------------- what the lesson checks


def softmax_with_temperature(scores, temperature: float = 1.0) -> np.ndarray:
    """softmax(z / T) of a score vector: a high temperature flattens the probabilities, a low one sharpens them."""
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite number > 0, got {temperature!r}")
    scores = np.asarray(scores, dtype=float).reshape(-1)
    if scores.size == 0 or not np.all(np.isfinite(scores)):
        raise ValueError(f"scores must be finite numbers, got {scores.tolist()!r}")
    return softmax(scores / temperature, axis=0)


IDENTITY_GRID = np.linspace(-10, 10, 2001)  # where identity_checks compares both sides
DERIVATION_GRID = np.linspace(-5, 5, 201)  # where derivation_gap evaluates each line
SATURATION_LAYER = {"n_inputs": 20, "n_hidden": 100, "m": 500}  # the hidden layer saturation draws
IDENTITY_GRID.flags.writeable = DERIVATION_GRID.flags.writeable = False


def identity_checks(x=None) -> list[tuple[str, float]]:
    """The lesson's identities checked numerically on a grid: (LaTeX, largest absolute error).

    Derivatives are central differences of the functions themselves, so each check is independent
    of the formula it tests.
    """
    x = IDENTITY_GRID if x is None else np.asarray(x, dtype=float)
    h = 1e-5

    def numeric(f):
        return (f(x + h) - f(x - h)) / (2 * h)

    return [
        (r"\tanh'(x) = 1 - \tanh^2(x)", float(np.max(np.abs(numeric(np.tanh) - (1 - np.tanh(x) ** 2))))),
        (r"\sigma'(x) = \sigma(x)\,(1 - \sigma(x))",
         float(np.max(np.abs(numeric(sigmoid) - sigmoid(x) * (1 - sigmoid(x)))))),
        (r"\tanh(x) = 2\,\sigma(2x) - 1", float(np.max(np.abs(np.tanh(x) - (2 * sigmoid(2 * x) - 1))))),
    ]


def saturation(activation: str, input_scale: float, init_scale: float, n_inputs: int = SATURATION_LAYER["n_inputs"],
               n_hidden: int = SATURATION_LAYER["n_hidden"], m: int = SATURATION_LAYER["m"], seed: int = 0,
               threshold: float = 0.1):
    """Pre-activations of a hidden layer, and the share of them where the gradient has all but vanished.

    Inputs are N(0, input_scale²) and weights N(0, init_scale²), as in ``init_weights``.
    Returns ``(Z, share)``: Z of shape (n_hidden·m,), and the share of entries whose
    derivative is below ``threshold`` times the activation's largest derivative.
    """
    act = get_activation(activation)
    if not act.elementwise:
        raise ValueError(f"saturation needs an elementwise activation, got {activation!r}")
    for name, value in (("input scale", input_scale), ("init scale", init_scale)):
        if not np.isfinite(value) or value <= 0:
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    rng = np.random.default_rng(seed)
    X = rng.normal(0, input_scale, (n_inputs, m))
    W = rng.normal(0, init_scale, (n_hidden, n_inputs))
    Z = (W @ X).ravel()
    d = act.df(act.f(Z))
    peak = float(np.max(act.derivative(np.linspace(-5, 5, 1001)))) or 1.0
    return Z, float(np.mean(d < threshold * peak))


# ----------------------------------------------------------------------------- the appendix (lesson 1.5)


@dataclass(frozen=True)
class DerivationStep:
    """One line of a derivation: its LaTeX (the right-hand side of "= …"), the value it has at x (so a test
    can check that every line equals the one before), and, where the lesson's line differs, what the lesson
    wrote and why ours differs."""

    latex: str
    value: Callable
    lesson_wrote: str = ""
    why: str = ""


def _numeric_derivative(f, h: float = 1e-5):
    return lambda x: (f(x + h) - f(x - h)) / (2 * h)


_C = r"\left(e^{x} + e^{-x}\right)"  # cosh-like denominator of tanh, as the lesson writes it
_S = r"\left(e^{x} - e^{-x}\right)"


def _c(x):
    return np.exp(x) + np.exp(-x)


def _s(x):
    return np.exp(x) - np.exp(-x)


#: The appendix of the lesson (1.5.1 and 1.5.2), line by line, ending in equations (2) and (3).
#: ``DERIVATIONS[n]`` is (what is derived, its steps); each step's ``value(x)`` is that line evaluated.
DERIVATIONS: dict[int, tuple[str, list[DerivationStep]]] = {
    2: (r"\frac{d}{dx}\tanh x", [
        DerivationStep(r"\frac{d}{dx}\left(\frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}\right)",
                       _numeric_derivative(lambda x: _s(x) / _c(x))),
        DerivationStep(rf"\frac{{{_C}\frac{{d}}{{dx}}{_S} - {_S}\frac{{d}}{{dx}}{_C}}}{{{_C}^{{2}}}}",
                       lambda x: (_c(x) * _c(x) - _s(x) * _s(x)) / _c(x) ** 2,
                       rf"{_C}\frac{{d}}{{dx}}{_S} - {_C}\frac{{d}}{{dx}}{_S}",
                       "the quotient rule: the second term is the numerator e^x − e^−x times the derivative of "
                       "the denominator, not the denominator again (in our copy of the text)"),
        DerivationStep(rf"\frac{{{_C}{_C} - {_S}{_S}}}{{{_C}^{{2}}}}",
                       lambda x: (_c(x) * _c(x) - _s(x) * _s(x)) / _c(x) ** 2,
                       rf"{_C}{_C} - {_C}{_C}",
                       "the derivative of e^x + e^−x is e^x − e^−x, so the second product is (e^x − e^−x)²; "
                       "as the lesson writes it the numerator would be 0"),
        DerivationStep(rf"\frac{{{_C}^{{2}} - {_S}^{{2}}}}{{{_C}^{{2}}}}",
                       lambda x: (_c(x) ** 2 - _s(x) ** 2) / _c(x) ** 2,
                       rf"{_C}^{{2}} - {_C}^{{2}}",
                       "the same slip carried on (in our copy of the text): the second square is of e^x − e^−x"),
        DerivationStep(r"\frac{\left(e^{2x} + e^{-2x} + 2e^{x}e^{-x}\right) - \left(e^{2x} + e^{-2x} - 2e^{x}e^{-x}\right)}"
                       rf"{{{_C}^{{2}}}}",
                       lambda x: ((np.exp(2 * x) + np.exp(-2 * x) + 2 * np.exp(x) * np.exp(-x))
                                  - (np.exp(2 * x) + np.exp(-2 * x) - 2 * np.exp(x) * np.exp(-x))) / _c(x) ** 2),
        DerivationStep(rf"\frac{{\left(e^{{2x}} + e^{{-2x}} + 2\right) - \left(e^{{2x}} + e^{{-2x}} - 2\right)}}{{{_C}^{{2}}}}",
                       lambda x: ((np.exp(2 * x) + np.exp(-2 * x) + 2) - (np.exp(2 * x) + np.exp(-2 * x) - 2)) / _c(x) ** 2),
        DerivationStep(rf"\frac{{e^{{2x}} + e^{{-2x}} + 2 - e^{{2x}} - e^{{-2x}} + 2}}{{{_C}^{{2}}}}",
                       lambda x: (np.exp(2 * x) + np.exp(-2 * x) + 2 - np.exp(2 * x) - np.exp(-2 * x) + 2) / _c(x) ** 2),
        DerivationStep(rf"\frac{{4}}{{{_C}^{{2}}}}", lambda x: 4 / _c(x) ** 2),
        DerivationStep(r"1 - \left(\frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}\right)^{2} = 1 - \left(\tanh x\right)^{2}",
                       lambda x: 1 - np.tanh(x) ** 2),
    ]),
    3: (r"\frac{d}{dx}\sigma(x)", [
        DerivationStep(r"\frac{d}{dx}\left[\frac{1}{1 + e^{-x}}\right]",
                       _numeric_derivative(lambda x: 1 / (1 + np.exp(-x)))),
        DerivationStep(r"\frac{d}{dx}\left(1 + e^{-x}\right)^{-1}", _numeric_derivative(lambda x: (1 + np.exp(-x)) ** -1.0)),
        DerivationStep(r"-\left(1 + e^{-x}\right)^{-2}\left(-e^{-x}\right)",
                       lambda x: -((1 + np.exp(-x)) ** -2.0) * (-np.exp(-x))),
        DerivationStep(r"\frac{e^{-x}}{\left(1 + e^{-x}\right)^{2}}", lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
        DerivationStep(r"\frac{1}{1 + e^{-x}}\cdot\frac{e^{-x}}{1 + e^{-x}}",
                       lambda x: 1 / (1 + np.exp(-x)) * np.exp(-x) / (1 + np.exp(-x))),
        DerivationStep(r"\frac{1}{1 + e^{-x}}\cdot\frac{\left(1 + e^{-x}\right) - 1}{1 + e^{-x}}",
                       lambda x: 1 / (1 + np.exp(-x)) * ((1 + np.exp(-x)) - 1) / (1 + np.exp(-x))),
        DerivationStep(r"\frac{1}{1 + e^{-x}}\cdot\left(\frac{1 + e^{-x}}{1 + e^{-x}} - \frac{1}{1 + e^{-x}}\right)",
                       lambda x: 1 / (1 + np.exp(-x)) * ((1 + np.exp(-x)) / (1 + np.exp(-x)) - 1 / (1 + np.exp(-x)))),
        DerivationStep(r"\frac{1}{1 + e^{-x}}\cdot\left(1 - \frac{1}{1 + e^{-x}}\right)",
                       lambda x: 1 / (1 + np.exp(-x)) * (1 - 1 / (1 + np.exp(-x)))),
        DerivationStep(r"\sigma(x)\cdot\left(1 - \sigma(x)\right)", lambda x: sigmoid(x) * (1 - sigmoid(x))),
    ]),
}


def derivation_gap(n: int, x=None) -> float:
    """The largest difference between consecutive lines of the derivation of equation ``n`` (2 or 3), each line
    evaluated on ``x`` (default ``DERIVATION_GRID``): rounding only, if every step is right."""
    x = DERIVATION_GRID if x is None else np.asarray(x, dtype=float)
    values = [step.value(x) for step in DERIVATIONS[n][1]]
    return float(max(np.max(np.abs(a - b)) for a, b in zip(values, values[1:], strict=False)))
