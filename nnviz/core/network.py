"""``ShallowNN``: the lesson's one-hidden-layer network, with the lesson's names and shapes.

Samples are stacked column-wise, as in the lesson: ``X`` has shape (n_input, m),
``Y`` has shape (n_output, m). The equations, in the lesson's order::

    Z1 = W1·X + b1        A1 = g(Z1)            (g: tanh by default)
    Z2 = W2·A1 + b2       A2 = σ(Z2)            (softmax when n_output > 1)
    L  = −(1/m) Σ [Y·log A2 + (1 − Y)·log(1 − A2)]
    dZ2 = A2 − Y          dW2 = dZ2·A1ᵀ / m     db2 = Σ dZ2 / m
    dZ1 = W2ᵀ·dZ2 ∗ g'(Z1)                      (g'(Z1) = 1 − A1² for tanh)
    dW1 = dZ1·Xᵀ / m      db1 = Σ dZ1 / m
    W ← W − lr·dW

``ShallowNN`` is ``nnviz.core.deep_network.DeepNN`` with one hidden layer: the same
code trains both, so the general network's one-hidden-layer case takes exactly
the lesson's steps, and ``ShallowNN`` keeps the lesson's constructor, its names
(``n_hidden``, ``g``) and the trajectory it always had (a test compares it with
a frozen copy of the code before the generalisation, bit for bit).

``forward``, ``backward`` and ``update_weights`` are the reference implementation
a student reads beside the lesson. ``train_step`` performs the same three steps
fused, for speed; a test keeps the two identical. Where the lesson's code was
wrong, the fix carries a one-line comment.

Storage: each layer's weights and bias sit side by side in one array, ``[W1 | b1]``
of shape (n_hidden, n_input + 1) and ``[W2 | b2]`` of shape (n_output, n_hidden + 1),
and both arrays are views into one flat parameter vector. ``params["W1"]`` and
``params["b1"]`` are views of the first, so the lesson's dicts behave as before,
while ``train_step`` can multiply a weight matrix and add its bias in one product
(the "bias trick": a row of ones appended to the input) and update all four
arrays with one subtraction.
"""

from __future__ import annotations

from nnviz.core.deep_network import DeepNN, accuracy, labels_to_Y, one_hot, with_ones_column
from nnviz.core.validation import check_int

PARAM_NAMES = ("W1", "b1", "W2", "b2")
MAX_UNITS = 4096  # per layer; far above what a page offers, low enough to keep memory sane

# The lesson's helpers were defined here first; pages and tests import them from this module too.
__all__ = ["MAX_UNITS", "PARAM_NAMES", "ShallowNN", "accuracy", "labels_to_Y", "one_hot", "with_ones_column"]


class ShallowNN(DeepNN):
    """A neural network with one hidden layer, written from scratch in NumPy.

    Parameters
    ----------
    n_input : int
        Number of input features.
    n_hidden : int
        Number of hidden units.
    n_output : int, default 1
        1 for binary classification (sigmoid output, binary cross-entropy);
        k > 1 for k classes (softmax output, categorical cross-entropy).
    activation : str, default "tanh"
        The hidden layer's activation, a name from ``nnviz.core.activations``.
    init_scale : float or "glorot", default 0.01
        Weights start as ``init_scale · N(0, 1)`` (the lesson's 0.01), or
        Glorot-uniform in ±√(6 / (fan_in + fan_out)). Biases start at zero.
    seed : int, numpy.random.Generator or None
        Where the initial weights (and shuffling in ``fit``) draw from. With an
        int, every ``init_weights`` starts from the same weights, so a run is
        reproducible; a Generator is drawn from on and on.
    regularization, reg_rate, optimizer
        As for ``DeepNN``: none and the lesson's SGD by default.

    Attributes
    ----------
    params : dict
        ``W1`` (n_hidden, n_input), ``b1`` (n_hidden, 1), ``W2`` (n_output, n_hidden), ``b2`` (n_output, 1).
    cache : dict
        ``Z1``, ``A1`` (n_hidden, m), ``Z2``, ``A2`` (n_output, m) from the last ``forward``.
    grads : dict
        ``dW1 db1 dW2 db2``, shaped like the parameters, from the last ``backward``.
    g : Activation
        The hidden layer's activation, the ``g`` of the equations: ``g.f`` and its derivative ``g.df``
        (written in terms of the output, ``g'(Z1) = g.df(A1)``), from ``nnviz.core.activations``.
    """

    max_units = MAX_UNITS

    def __init__(self, n_input, n_hidden, n_output=1, *, activation="tanh", init_scale=0.01, seed=None,
                 regularization="none", reg_rate=0.0, optimizer="sgd"):
        super().__init__(n_input, n_hidden, n_output, activation=activation, init_scale=init_scale, seed=seed,
                         regularization=regularization, reg_rate=reg_rate, optimizer=optimizer)

    def _check_hidden(self, hidden):
        self.n_hidden = check_int("hidden units", hidden, maximum=MAX_UNITS)
        return (self.n_hidden,)

    @property
    def g(self):
        """The hidden layer's activation, the ``g`` of the equations."""
        return self.gs[0]
