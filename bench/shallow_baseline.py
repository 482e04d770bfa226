"""BASELINE — nnviz's ShallowNN as it was before the general network (commit 5e54b1c). Not nnviz.

Kept only so that ``bench/bench_core.py`` can measure the general ``DeepNN`` against the path it replaced
in the same run, and so that a test can check that ``ShallowNN`` still takes exactly the steps it took.
Do not edit: it is a frozen copy.
"""

from __future__ import annotations

import numpy as np

from nnviz.core.activations import HIDDEN_ACTIVATIONS, get_activation, sigmoid, softmax
from nnviz.core.losses import (
    DIVERGENCE_LOSS,
    binary_cross_entropy,
    binary_cross_entropy_from_logits,
    categorical_cross_entropy,
    categorical_cross_entropy_from_logits,
)
from nnviz.core.validation import check_array, check_int, check_labels, check_learning_rate, check_positive_float

PARAM_NAMES = ("W1", "b1", "W2", "b2")
MAX_UNITS = 4096  # per layer; far above what a page offers, low enough to keep memory sane


def accuracy(Y, Y_pred) -> float:
    """The share of samples whose predicted class is the true one.

    Parameters
    ----------
    Y : ndarray of shape (n_output, m)
        True labels: a row of 0/1 (binary), or one-hot columns.
    Y_pred : ndarray of shape (n_output, m)
        Predicted probabilities.
    """
    Y = np.asarray(Y)
    Y_pred = np.asarray(Y_pred)
    if Y.shape != Y_pred.shape:
        raise ValueError(f"Y has shape {Y.shape} but Y_pred has shape {Y_pred.shape}")
    if Y.shape[0] == 1:
        # The lesson thresholded each prediction with np.vectorize, a Python call per element.
        return float(np.mean((Y_pred > 0.5) == (Y > 0.5)))
    return float(np.mean(np.argmax(Y_pred, axis=0) == np.argmax(Y, axis=0)))


def one_hot(y, n_classes: int) -> np.ndarray:
    """Labels 0 … n_classes−1 of shape (m,) as one-hot columns of shape (n_classes, m)."""
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    Y = np.zeros((n_classes, y.shape[0]))
    Y[y, np.arange(y.shape[0])] = 1.0
    return Y


def labels_to_Y(y, n_output: int, m: int | None = None, name: str = "labels") -> np.ndarray:
    """Labels of shape (m,) as the network's target ``Y`` of shape (n_output, m); ``m``, when given,
    is the number of samples the labels must match."""
    m = np.asarray(y).reshape(-1).shape[0] if m is None else m
    y = check_labels(name, y, max(n_output, 2), m)
    if n_output == 1:
        return y.reshape(1, -1).astype(float)
    return one_hot(y, n_output)


def with_ones_column(X) -> np.ndarray:
    """``X`` of shape (m, n) with a column of ones appended: shape (m, n + 1), C-contiguous.

    ``[W | b] · [X | 1]ᵀ = W·Xᵀ + b``: the bias becomes one more weight.
    """
    X = np.asarray(X, dtype=float)
    X1 = np.ones((X.shape[0], X.shape[1] + 1))
    X1[:, :-1] = X
    return X1


class _Buffers:
    """Arrays reused by ``train_step`` for one batch size ``m``."""

    def __init__(self, n_hidden: int, n_output: int, m: int):
        self.Z1 = np.empty((n_hidden, m))
        self.A1_1 = np.ones((n_hidden + 1, m))  # [A1; 1]: the hidden layer's output plus a row of ones
        self.A1 = self.A1_1[:-1]
        self.dZ1 = np.empty((n_hidden, m))
        self.dA = np.empty((n_hidden, m))  # g'(Z1)
        self.Z2 = np.empty((n_output, m))
        self.A2 = np.empty((n_output, m))
        self.dZ2 = np.empty((n_output, m))
        self.tmp2 = np.empty((n_output, m))
        self.ones = np.ones((n_output, m))


class _Params(dict):
    """The ``params`` dict: assigning an entry copies into the network's storage (shape checked)."""

    def __setitem__(self, name, value):
        if name in self:
            value = np.asarray(value, dtype=float)
            if value.shape != self[name].shape:
                raise ValueError(f"{name} must have shape {self[name].shape}, got {value.shape}")
            self[name][...] = value
        else:
            raise ValueError(f"unknown parameter {name!r}; the parameters are {', '.join(PARAM_NAMES)}")


class ShallowNNBefore:
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

    def __init__(self, n_input, n_hidden, n_output=1, *, activation="tanh", init_scale=0.01, seed=None):
        self.n_input = check_int("input features", n_input, maximum=100_000)
        self.n_hidden = check_int("hidden units", n_hidden, maximum=MAX_UNITS)
        self.n_output = check_int("output units", n_output, maximum=MAX_UNITS)
        act = get_activation(activation)
        if act.name not in HIDDEN_ACTIVATIONS:
            raise ValueError(
                f"activation {activation!r} cannot train a hidden layer (its gradient is zero or it is not "
                f"elementwise); choose one of {', '.join(HIDDEN_ACTIVATIONS)}"
            )
        self.activation = act.name
        self.g = act
        self.init_scale = init_scale if init_scale == "glorot" else check_positive_float("init scale", init_scale)
        if not (seed is None or isinstance(seed, np.random.Generator)):
            seed = check_int("seed", seed, minimum=0)
        self.seed = seed
        self.cache, self.grads = {}, {}
        self._buffers: dict[int, _Buffers] = {}  # train_step's scratch arrays, per batch size
        self._eval_buffers: dict[int, tuple] = {}  # logits' scratch arrays, per number of samples
        self.init_weights()

    # ----------------------------------------------------------------- the lesson's methods

    @property
    def n_params(self) -> int:
        """The number of trainable numbers: weights and biases of both layers."""
        return self.n_hidden * (self.n_input + 1) + self.n_output * (self.n_hidden + 1)

    @property
    def params(self) -> dict:
        return self._params

    @params.setter
    def params(self, value: dict):
        self.set_weights(value)

    def init_weights(self):
        """Fresh weights: small random ``W1``, ``W2``; zero biases."""
        if not isinstance(self.seed, np.random.Generator):
            self.rng = np.random.default_rng(self.seed)
        else:
            self.rng = self.seed
        self._link(np.zeros(self.n_params), np.zeros(self.n_params))
        for name, fan_in, fan_out in (("W1", self.n_input, self.n_hidden), ("W2", self.n_hidden, self.n_output)):
            W = self.params[name]
            if self.init_scale == "glorot":
                limit = np.sqrt(6.0 / (fan_in + fan_out))
                W[...] = self.rng.uniform(-limit, limit, size=W.shape)
            else:
                W[...] = self.rng.standard_normal(W.shape) * self.init_scale
        self.cache, self.grads = {}, {}

    def forward(self, X):
        """Run ``X`` of shape (n_input, m) through the network; store ``Z1 A1 Z2 A2`` in ``cache``.

        Returns
        -------
        A2 : ndarray of shape (n_output, m)
            The predicted probabilities.
        """
        X = self._check_X(X)
        Z1, A1, Z2, A2 = self._forward(X)
        self.cache = {"Z1": Z1, "A1": A1, "Z2": Z2, "A2": A2}
        return A2

    def compute_loss(self, Y, Y_hat) -> float:
        """Cross-entropy between ``Y`` and ``Y_hat``, both of shape (n_output, m).

        Binary cross-entropy for one output, categorical for more; a prediction
        that saturates at exactly 0 or 1 gives a large but finite loss.
        """
        Y, Y_hat = np.asarray(Y, dtype=float), np.asarray(Y_hat, dtype=float)
        if Y.ndim != 2 or Y.shape[0] != self.n_output or Y.shape != Y_hat.shape:
            raise ValueError(
                f"Y and Y_hat must both have shape ({self.n_output}, m), got {Y.shape} and {Y_hat.shape}"
            )
        if self.n_output == 1:
            return binary_cross_entropy(Y, Y_hat)
        return categorical_cross_entropy(Y, Y_hat)

    def backward(self, X, Y):
        """Gradients of the loss for the batch ``X`` (n_input, m), ``Y`` (n_output, m); stored in ``grads``.

        Uses ``cache`` from the ``forward`` call on the same ``X``.
        """
        X = self._check_X(X)
        Y = self._check_Y(Y, X.shape[1])
        if not self.cache or self.cache["A1"].shape[1] != X.shape[1]:
            raise ValueError("call forward(X) on the same batch before backward(X, Y)")
        m = X.shape[1]
        W2 = self.params["W2"]
        A1, A2 = self.cache["A1"], self.cache["A2"]

        dZ2 = A2 - Y  # sigmoid + binary cross-entropy, and softmax + categorical, both give this
        dW2 = np.dot(dZ2, A1.T) / m
        db2 = np.sum(dZ2, axis=1, keepdims=True) / m
        # The lesson hard-coded tanh here (1 - A1**2); g' comes from the activation registry.
        dZ1 = np.dot(W2.T, dZ2) * self.g.df(A1)
        dW1 = np.dot(dZ1, X.T) / m
        db1 = np.sum(dZ1, axis=1, keepdims=True) / m

        self.grads = {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2}

    def update_weights(self, lr):
        """One gradient-descent step of size ``lr`` with the gradients from ``backward``."""
        lr = check_learning_rate(lr)
        if not self.grads:
            raise ValueError("call backward(X, Y) before update_weights(lr)")
        for name in PARAM_NAMES:
            # The lesson wrote `self.params['W1'] -= dW1`: lr was ignored, so every step had size 1.
            self.params[name] -= lr * self.grads["d" + name]

    def get_batch_indices(self, X_train, batch_size):
        """The batches of one epoch over ``X_train`` of shape (m, n_input), as slices of rows."""
        batch_size = check_int("batch size", batch_size)
        n = np.shape(X_train)[0]
        # The lesson's range(i, i + batch_size) ran past the end when batch_size does not divide n,
        # and its reshape(1, batch_size) then crashed; the last batch is simply shorter.
        return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]

    def fit(self, X_train, y_train, batch_size=32, n_iterations=100, lr=0.01, *, shuffle=False, verbose=False):
        """Train from fresh weights with mini-batch gradient descent, as the lesson's ``fit``.

        Parameters
        ----------
        X_train : ndarray of shape (m, n_input)
            One sample per row, as the lesson passes it.
        y_train : ndarray of shape (m,)
            Class labels (0/1 for one output).
        batch_size, n_iterations, lr
            Samples per step, epochs, step size.
        shuffle : bool, default False
            Visit the samples in a new random order each epoch (the lesson did not).
        verbose : bool
            Print the loss every 10 epochs, as the lesson did.

        Sets ``loss_curve_``: the mean loss over each epoch's batches. Raises ``FloatingPointError``
        when the loss blows up (NaN, inf or above ``DIVERGENCE_LOSS``): the learning rate is too high.
        The same steps as a ``nnviz.core.training.Trainer`` with ``evaluate=False`` (a test keeps them equal);
        the ``Trainer`` adds pausing, time budgets and per-epoch accuracy for the app.
        """
        lr = check_learning_rate(lr)
        batch_size = check_int("batch size", batch_size)
        n_iterations = check_int("epochs", n_iterations, maximum=1_000_000)
        X_train = check_array("X_train", X_train, ndim=2)
        if X_train.shape[1] != self.n_input:
            raise ValueError(f"X_train must have {self.n_input} features per row, got shape {X_train.shape}")
        m = X_train.shape[0]
        Y_all = labels_to_Y(y_train, self.n_output, m, "y_train")
        X1_all = with_ones_column(X_train)  # rows plus a column of ones: each batch is one contiguous block
        self.init_weights()
        batches = self.get_batch_indices(X1_all, batch_size)
        self.loss_curve_ = []
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            for epoch in range(n_iterations):
                X1, Y = X1_all, Y_all
                if shuffle:
                    order = self.rng.permutation(m)
                    X1, Y = X1_all[order], np.ascontiguousarray(Y_all[:, order])
                total = 0.0
                for k, batch in enumerate(batches, start=1):
                    loss = self.train_step(X1[batch], Y[:, batch], lr)
                    if not loss < DIVERGENCE_LOSS:  # also true for NaN
                        raise FloatingPointError(
                            f"loss {'became NaN' if np.isnan(loss) else f'reached {loss:.3g}'} at epoch {epoch + 1}, "
                            f"step {k}: the learning rate {lr:g} is too high; try {lr / 10:g} or lower"
                        )
                    total += loss * (batch.stop - batch.start)
                # The lesson printed the loss of the epoch's last batch only; this is the epoch's mean.
                self.loss_curve_.append(total / m)
                if verbose and epoch % 10 == 0:
                    print(f"iteration {epoch}: loss {self.loss_curve_[-1]}")
        return self

    def predict(self, X):
        """Predicted probabilities ``A2`` of shape (n_output, m) for ``X`` of shape (n_input, m); ``cache`` is left alone."""
        return self.layers(X)[3]

    # ----------------------------------------------------------------- extensions

    def predict_classes(self, X) -> np.ndarray:
        """Predicted class labels of shape (m,) for ``X`` of shape (n_input, m)."""
        A2 = self.predict(X)
        if self.n_output == 1:
            return (A2[0] > 0.5).astype(np.int64)
        return np.argmax(A2, axis=0)

    def layers(self, X) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``Z1, A1`` of shape (n_hidden, m) and ``Z2, A2`` of shape (n_output, m) for ``X`` of shape
        (n_input, m): what ``forward`` computes, without storing it in ``cache``."""
        return self._forward(self._check_X(X))

    def loss(self, X, Y) -> float:
        """The loss on ``X`` (n_input, m), ``Y`` (n_output, m), computed from the logits (exact, no clipping)."""
        X = self._check_X(X)
        Y = self._check_Y(Y, X.shape[1])
        return self.loss_from_logits(Y, self._forward(X)[2])

    def loss_from_logits(self, Y, Z2) -> float:
        """The loss for targets ``Y`` and output pre-activations ``Z2``, both of shape (n_output, m):
        binary cross-entropy from logits for one output, categorical for more."""
        if self.n_output == 1:
            return binary_cross_entropy_from_logits(Y, Z2)
        return categorical_cross_entropy_from_logits(Y, Z2)

    def logits(self, X1) -> np.ndarray:
        """``Z2`` of shape (n_output, m) for a whole set ``X1`` of shape (m, n_input + 1) in ``train_step``'s
        layout (one sample per row, a last column of ones); for measuring a set after each epoch.

        Not validated, like ``train_step``. The result is a buffer kept per number of samples: the next
        call with as many samples overwrites it (allocating arrays of a large set each epoch is costly).
        """
        m = X1.shape[0]
        bufs = self._eval_buffers.get(m)
        if bufs is None:
            if len(self._eval_buffers) > 4:
                self._eval_buffers.clear()
            A1_1 = np.ones((self.n_hidden + 1, m))  # [A1; 1]
            bufs = self._eval_buffers[m] = (np.empty((self.n_hidden, m)), A1_1, np.empty((self.n_output, m)))
        Z1, A1_1, Z2 = bufs
        np.dot(self._W1b, X1.T, out=Z1)
        self.g.f(Z1, out=A1_1[:-1])
        np.dot(self._W2b, A1_1, out=Z2)
        return Z2

    def train_step(self, X1, Y, lr) -> float:
        """``forward``, ``backward`` and ``update_weights(lr)`` fused into one fast step.

        The same maths as the three methods, with fewer NumPy calls: tiny networks
        are bound by Python overhead, so each call saved pays. Weights and bias are
        multiplied together (the bias trick), results go into preallocated
        buffers, and one subtraction updates all four parameter arrays. Inputs
        are not validated (the ``Trainer`` checks the whole dataset once);
        ``cache`` and ``grads`` are left alone.

        Parameters
        ----------
        X1 : ndarray of shape (m, n_input + 1)
            The batch, one sample per row, with a last column of ones
            (``with_ones_column``); rows keep each batch one contiguous block.
        Y : ndarray of shape (n_output, m)
        lr : float

        Returns
        -------
        float
            The batch's loss before the update.
        """
        m = X1.shape[0]
        b = self._buffers.get(m)
        if b is None:
            if len(self._buffers) > 4:  # batch sizes change rarely; keep memory bounded anyway
                self._buffers.clear()
            b = self._buffers[m] = _Buffers(self.n_hidden, self.n_output, m)

        np.dot(self._W1b, X1.T, out=b.Z1)  # Z1 = W1·X + b1
        self.g.f(b.Z1, out=b.A1)  # A1 = g(Z1)
        np.dot(self._W2b, b.A1_1, out=b.Z2)  # Z2 = W2·A1 + b2
        if self.n_output == 1:
            np.logaddexp(0.0, b.Z2, out=b.tmp2)  # per-sample loss log(1 + e^z) − y·z
            loss = (np.vdot(b.ones, b.tmp2) - np.vdot(Y, b.Z2)) / m  # Σ as a dot product: cheaper than .sum()
            sigmoid(b.Z2, out=b.A2)  # A2 = σ(Z2)
        else:
            loss = categorical_cross_entropy_from_logits(Y, b.Z2)
            b.A2[...] = softmax(b.Z2)

        np.subtract(b.A2, Y, out=b.dZ2)  # dZ2 = A2 − Y
        b.dZ2 *= lr / m  # the 1/m of every gradient and the step size, applied once
        np.dot(b.dZ2, b.A1_1.T, out=self._G2)  # lr·[dW2 | db2] = lr·dZ2·[A1; 1]ᵀ / m
        np.dot(self.params["W2"].T, b.dZ2, out=b.dZ1)
        self.g.df(b.A1, out=b.dA)
        b.dZ1 *= b.dA  # dZ1 = W2ᵀ·dZ2 ∗ g'(Z1)
        np.dot(b.dZ1, X1, out=self._G1)  # lr·[dW1 | db1] = lr·dZ1·[X; 1]ᵀ / m
        self._theta -= self._step  # W ← W − lr·dW, all four arrays at once
        return float(loss)

    def get_weights(self) -> dict:
        """A copy of ``params``."""
        return {k: v.copy() for k, v in self.params.items()}

    def set_weights(self, params: dict):
        """Load ``W1 b1 W2 b2`` (copied; shapes checked) into the network."""
        missing = [name for name in PARAM_NAMES if name not in params]
        if missing:
            raise ValueError(f"missing parameters: {', '.join(missing)}")
        for name in PARAM_NAMES:
            self._params[name] = params[name]

    # ----------------------------------------------------------------- internals

    def _forward(self, X):
        W1, b1, W2, b2 = (self.params[k] for k in PARAM_NAMES)
        Z1 = np.dot(W1, X) + b1  # (n_hidden, m)
        A1 = self.g.f(Z1)
        Z2 = np.dot(W2, A1) + b2  # (n_output, m)
        A2 = sigmoid(Z2) if self.n_output == 1 else softmax(Z2, axis=0)
        return Z1, A1, Z2, A2

    def _link(self, theta, step):
        """Make ``params`` views into the flat vector ``theta`` and the step buffers views into ``step``."""
        h, n, k = self.n_hidden, self.n_input, self.n_output
        self._theta, self._step = theta, step
        self._W1b = theta[: h * (n + 1)].reshape(h, n + 1)  # [W1 | b1]
        self._W2b = theta[h * (n + 1) :].reshape(k, h + 1)  # [W2 | b2]
        self._G1 = step[: h * (n + 1)].reshape(h, n + 1)
        self._G2 = step[h * (n + 1) :].reshape(k, h + 1)
        self._params = _Params(
            W1=self._W1b[:, :-1], b1=self._W1b[:, -1:], W2=self._W2b[:, :-1], b2=self._W2b[:, -1:]
        )

    def _check_X(self, X):
        X = check_array("X", X, ndim=2)
        if X.shape[0] != self.n_input:
            raise ValueError(
                f"X must have shape ({self.n_input}, m) — one column per sample, {self.n_input} features — "
                f"got {X.shape}"
            )
        return X

    def _check_Y(self, Y, m):
        Y = check_array("Y", Y, ndim=2)
        if Y.shape != (self.n_output, m):
            raise ValueError(f"Y must have shape ({self.n_output}, {m}) to match X, got {Y.shape}")
        return Y

    def __getstate__(self):
        # Pickled to ship a model to a training worker: the flat vector travels;
        # views and scratch buffers are rebuilt on arrival.
        state = self.__dict__.copy()
        for key in ("g", "_buffers", "_eval_buffers", "_params", "_W1b", "_W2b", "_G1", "_G2", "_step"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.g = get_activation(self.activation)
        self._buffers, self._eval_buffers = {}, {}
        self._link(self._theta, np.zeros_like(self._theta))
