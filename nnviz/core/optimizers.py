"""Optimizers: how a step turns the gradient into new weights, one small object per rule.

Each optimizer updates the network's parameters in place, all layers at once: ``theta`` is the network's flat
parameter vector (every ``[W | b]`` block, see ``nnviz.core.deep_network``) and ``grad`` the gradient of the
objective in the same layout. Every parameter — each ``W^{[l]}`` and ``b^{[l]}`` — follows the same rule
elementwise, so each class writes its rule once, in ``update`` and in ``equations`` (the LaTeX a page renders,
written for ``W^{[l]}``; ``b^{[l]}`` alike), in the lesson's notation (``dW`` for ∂J/∂W, ``α`` for the
learning rate). The maths sits in one place per optimizer; a test checks ``update`` against the equations.

State (velocities, moment estimates, the step count) lives in the object and pickles with it, so a run resumes
in another process exactly. Changing the optimizer during a run means a new object: its state starts afresh
(zero moments, t = 0), as when the run started.

The learning rate is passed to every ``update`` rather than stored, so it can change between steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.core.validation import check_fraction, check_positive_float


class Optimizer:
    """The interface: ``update(theta, grad, lr)`` changes ``theta`` in place; ``reset()`` forgets the state.

    ``folds_lr``: when True the caller passes ``grad`` already multiplied by ``lr`` (plain SGD lets the network
    fold the step size into its backward pass, which saves an operation per step and keeps the lesson's step
    exactly as it was); otherwise ``grad`` is ∇J itself.
    """

    name = ""
    label = ""
    folds_lr = False
    #: LaTeX lines of the update for one weight matrix W^{[l]} (b^{[l]} alike), in order.
    equations: tuple[str, ...] = ()

    def update(self, theta: np.ndarray, grad: np.ndarray, lr: float) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def reset(self) -> None:
        """Forget the state (velocities, moments, step count)."""

    @property
    def settings(self) -> dict:
        """The hyperparameters that define this optimizer (not its state)."""
        return {}

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings.items())
        return f"{type(self).__name__}({args})"

    def __eq__(self, other):
        return type(self) is type(other) and self.settings == other.settings

    __hash__ = None

    def __getstate__(self):
        # The scratch array is rebuilt on arrival; the state arrays travel.
        state = self.__dict__.copy()
        state.pop("_tmp", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def _scratch(self, like: np.ndarray) -> np.ndarray:
        tmp = self.__dict__.get("_tmp")
        if tmp is None or tmp.shape != like.shape:
            tmp = self._tmp = np.empty_like(like)
        return tmp


class SGD(Optimizer):
    """The lesson's gradient descent: W ← W − α·dW."""

    name = "sgd"
    label = "SGD"
    folds_lr = True
    equations = (r"W^{[l]} \leftarrow W^{[l]} - \alpha\, dW^{[l]}",)

    def update(self, theta, grad, lr):
        # ``grad`` is α·dW already (folds_lr): the network multiplied its dZ^{[L]} by α/m once.
        theta -= grad


class Momentum(Optimizer):
    """Gradient descent with momentum, as an exponentially weighted average of the gradients
    (the deep-learning course notation the lesson follows):

        V_dW ← β·V_dW + (1 − β)·dW          W ← W − α·V_dW

    V_dW starts at 0 (no bias correction: after 1/(1 − β) = 10 steps the average is warm). With a constant α
    this is Keras's and PyTorch's momentum with a learning rate of α·(1 − β): the same α gives steps of about
    the same size as plain SGD, so switching between the two during a run does not jolt it.
    """

    name = "momentum"
    label = "SGD with momentum"
    equations = (
        r"V_{dW^{[l]}} \leftarrow \beta\, V_{dW^{[l]}} + (1 - \beta)\, dW^{[l]}",
        r"W^{[l]} \leftarrow W^{[l]} - \alpha\, V_{dW^{[l]}}",
    )

    def __init__(self, beta: float = 0.9):
        self.beta = check_fraction("momentum β", beta)
        self.reset()

    @property
    def settings(self):
        return {"beta": self.beta}

    def reset(self):
        self.V = None

    def update(self, theta, grad, lr):
        if self.V is None:
            self.V = np.zeros_like(theta)
        V, tmp = self.V, self._scratch(theta)
        V *= self.beta
        np.multiply(grad, 1.0 - self.beta, out=tmp)
        V += tmp  # V = β·V + (1 − β)·dW
        np.multiply(V, lr, out=tmp)
        theta -= tmp  # W ← W − α·V


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015, Algorithm 1), with bias correction, in the lesson's notation:

        V_dW ← β1·V_dW + (1 − β1)·dW        S_dW ← β2·S_dW + (1 − β2)·dW²
        V̂ = V_dW / (1 − β1^t)              Ŝ = S_dW / (1 − β2^t)
        W ← W − α·V̂ / (√Ŝ + ε)

    t counts the steps taken by this optimizer, from 1.
    """

    name = "adam"
    label = "Adam"
    equations = (
        r"V_{dW^{[l]}} \leftarrow \beta_1 V_{dW^{[l]}} + (1 - \beta_1)\, dW^{[l]}",
        r"S_{dW^{[l]}} \leftarrow \beta_2 S_{dW^{[l]}} + (1 - \beta_2)\, \left(dW^{[l]}\right)^{2}",
        r"\hat{V}_{dW^{[l]}} = \frac{V_{dW^{[l]}}}{1 - \beta_1^{\,t}},\quad "
        r"\hat{S}_{dW^{[l]}} = \frac{S_{dW^{[l]}}}{1 - \beta_2^{\,t}}",
        r"W^{[l]} \leftarrow W^{[l]} - \alpha\, \frac{\hat{V}_{dW^{[l]}}}{\sqrt{\hat{S}_{dW^{[l]}}} + \varepsilon}",
    )

    def __init__(self, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.beta1 = check_fraction("Adam β1", beta1)
        self.beta2 = check_fraction("Adam β2", beta2)
        self.eps = check_positive_float("Adam ε", eps)
        self.reset()

    @property
    def settings(self):
        return {"beta1": self.beta1, "beta2": self.beta2, "eps": self.eps}

    def reset(self):
        self.V = self.S = None
        self.t = 0

    def update(self, theta, grad, lr):
        if self.V is None:
            self.V, self.S = np.zeros_like(theta), np.zeros_like(theta)
        V, S, tmp = self.V, self.S, self._scratch(theta)
        b1, b2 = self.beta1, self.beta2
        self.t += 1
        V *= b1
        np.multiply(grad, 1.0 - b1, out=tmp)
        V += tmp  # V = β1·V + (1 − β1)·dW
        np.multiply(grad, grad, out=tmp)
        tmp *= 1.0 - b2
        S *= b2
        S += tmp  # S = β2·S + (1 − β2)·dW²
        # α·V̂/(√Ŝ + ε) with V̂ = V/(1 − β1^t), Ŝ = S/(1 − β2^t): the corrections applied to scalars, not arrays
        np.sqrt(S, out=tmp)
        tmp *= 1.0 / np.sqrt(1.0 - b2**self.t)  # √Ŝ
        tmp += self.eps
        np.divide(V, tmp, out=tmp)
        tmp *= lr / (1.0 - b1**self.t)
        theta -= tmp


@dataclass(frozen=True)
class OptimizerInfo:
    """What a page lists about an optimizer: its name (the URL's value), label and update equations."""

    name: str
    label: str
    equations: tuple[str, ...]
    cls: type


OPTIMIZERS: dict[str, OptimizerInfo] = {
    cls.name: OptimizerInfo(cls.name, cls.label, cls.equations, cls) for cls in (SGD, Momentum, Adam)
}


def make_optimizer(optimizer) -> Optimizer:
    """An ``Optimizer`` from its name ("sgd", "momentum", "adam"), with the default hyperparameters
    (β = 0.9; β1 = 0.9, β2 = 0.999, ε = 1e-8); an ``Optimizer`` instance is returned as it is."""
    if isinstance(optimizer, Optimizer):
        return optimizer
    try:
        return OPTIMIZERS[optimizer].cls()
    except (KeyError, TypeError):
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {', '.join(OPTIMIZERS)}") from None
