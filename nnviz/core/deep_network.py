"""``DeepNN``: the lesson's network with any number of hidden layers, in the lesson's notation with a layer index.

Layer sizes are ``(n_input, n_1, …, n_{L−1}, n_output)``: 0 to 6 hidden layers and the output layer L.
Samples are stacked column-wise, as in the lesson: ``X = A^{[0]}`` has shape (n_input, m). For l = 1 … L::

    Z[l] = W[l]·A[l−1] + b[l]          W[l]: (n_l, n_{l−1}), b[l]: (n_l, 1)
    A[l] = g[l](Z[l])                  g[l]: the hidden activation (per layer), or the output's, below

Three problems, set by the output layer, each pairing an output activation with its loss so that

    dZ[L] = A[L] − Y

holds for all three (which is why these pairs are the standard ones):

- "binary": one sigmoid unit, binary cross-entropy  L = −(1/m) Σ [y·log a + (1 − y)·log(1 − a)]
- "multiclass": k ≥ 2 softmax units, categorical cross-entropy  L = −(1/m) Σ Σ_k y_k·log a_k
- "regression": one linear unit, squared error  L = (1/2m) Σ (a − y)²  (the ½ makes dZ[L] = A[L] − Y; the
  mean squared error is 2L, the RMSE √(2L))

Backward, for l = L … 1::

    dW[l] = dZ[l]·A[l−1]ᵀ / m + λ·R'(W[l])      db[l] = Σ dZ[l] / m
    dZ[l−1] = W[l]ᵀ·dZ[l] ∗ g[l−1]'(Z[l−1])     (g' written with the output A, as the registry has it)

where λ·R'(W) is the regularization's gradient (``nnviz.core.regularization``; 0 without one). The objective J is the
loss plus λ·Σ_l R(W[l]). The optimizer (``nnviz.core.optimizers``) turns dW, db into the step; the lesson's is
W ← W − α·dW.

``forward``, ``backward`` and ``update_weights`` are the reference implementation a student reads beside the
lesson. ``train_step`` performs the same three steps fused, for speed; tests keep the two identical.

Storage: each layer's weights and bias sit side by side in one array ``[W[l] | b[l]]`` of shape
(n_l, n_{l−1} + 1), all of them views into one flat parameter vector ``theta``. ``params["W2"]`` and
``params["b2"]`` are views of the second block, so the lesson's dicts behave as plain arrays, while
``train_step`` multiplies a weight matrix and adds its bias in one product (the "bias trick": a row of ones
appended to each layer's input) and an optimizer updates every layer with a few operations on one vector.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np

from nnviz.core.activations import HIDDEN_ACTIVATIONS, get_activation, sigmoid, softmax
from nnviz.core.losses import (
    binary_cross_entropy,
    binary_cross_entropy_from_logits,
    categorical_cross_entropy,
    categorical_cross_entropy_from_logits,
    half_squared_error,
)
from nnviz.core.optimizers import Optimizer, make_optimizer
from nnviz.core.regularization import check_reg_rate, get_regularization
from nnviz.core.validation import (
    check_array,
    check_int,
    check_labels,
    check_learning_rate,
    check_positive_float,
)

PROBLEMS = ("binary", "multiclass", "regression")
MAX_HIDDEN_LAYERS = 6
MAX_LAYER_UNITS = 512  # per hidden layer of a DeepNN
MAX_INPUTS = 100_000
MAX_OUTPUTS = 4096


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


def confusion_matrix(y_true, y_pred, n_classes: int = 10) -> np.ndarray:
    """Counts of (true, predicted) pairs: rows true classes, columns predicted, shape (n, n)."""
    m = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)), 1)
    return m


def per_class_accuracy(matrix) -> np.ndarray:
    """Each class's share of its samples predicted right (a confusion matrix's diagonal over its rows); NaN for a
    class with no samples."""
    m = np.asarray(matrix, dtype=float)
    totals = m.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(m) / totals, np.nan)


def r2_score(Y, Y_pred) -> float | None:
    """The coefficient of determination R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)² of predictions ``Y_pred`` for targets
    ``Y`` (both (1, m)): 1 for a perfect fit, 0 for always predicting the mean ȳ, negative for worse.
    None when the targets do not vary (R² is undefined then)."""
    Y = np.asarray(Y, dtype=float)
    Y_pred = np.asarray(Y_pred, dtype=float)
    ss_tot = float(np.sum((Y - Y.mean()) ** 2))
    if ss_tot == 0:
        return None
    return 1.0 - float(np.sum((Y - Y_pred) ** 2)) / ss_tot


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


def targets_to_Y(y, problem: str, n_output: int, m: int | None = None, name: str = "labels") -> np.ndarray:
    """The target ``Y`` of shape (n_output, m) for ``problem``: class labels as ``labels_to_Y`` makes them,
    or, for "regression", the values of shape (m,) as a row (finite numbers, checked)."""
    if problem != "regression":
        return labels_to_Y(y, n_output, m, name)
    y = np.asarray(y)
    if y.ndim == 2 and 1 in y.shape:
        y = y.reshape(-1)
    m = y.shape[0] if m is None and y.ndim == 1 else m
    if y.ndim != 1:
        raise ValueError(f"{name} must be a vector of target values, got shape {y.shape}")
    if y.shape[0] != m:
        raise ValueError(f"{name} has {y.shape[0]} values but X has {m} samples")
    return check_array(name, y.reshape(1, -1), ndim=2)


def with_ones_column(X) -> np.ndarray:
    """``X`` of shape (m, n) with a column of ones appended: shape (m, n + 1), C-contiguous.

    ``[W | b] · [X | 1]ᵀ = W·Xᵀ + b``: the bias becomes one more weight.
    """
    X = np.asarray(X, dtype=float)
    X1 = np.ones((X.shape[0], X.shape[1] + 1))
    X1[:, :-1] = X
    return X1


def param_names(n_layers: int) -> tuple[str, ...]:
    """``W1 b1 … WL bL`` for a network of ``n_layers`` weight layers (hidden layers + 1)."""
    return tuple(name for layer in range(1, n_layers + 1) for name in (f"W{layer}", f"b{layer}"))


class _Buffers:
    """Arrays reused by ``train_step`` for one batch size ``m``, and the per-layer plans that walk them.

    Each hidden layer l has ``Z``, ``[A; 1]`` (its output plus a row of ones: the next layer's input),
    ``dZ`` and ``g'``; the output layer has ``ZL``, ``AL`` (``ZL`` itself for a linear output), ``dZL``.
    """

    def __init__(self, net: DeepNN, m: int):
        sizes = net.sizes
        hidden, k = sizes[1:-1], sizes[-1]
        self.Z = [np.empty((n, m)) for n in hidden]
        self.A1 = [np.ones((n + 1, m)) for n in hidden]
        self.A = [a[:-1] for a in self.A1]
        self.dZ = [np.empty((n, m)) for n in hidden]
        self.dA = [np.empty((n, m)) for n in hidden]
        self.ZL = np.empty((k, m))
        self.AL = self.ZL if net.problem == "regression" else np.empty((k, m))
        self.dZL = np.empty((k, m))
        self.tmp = np.empty((k, m))
        self.ones = np.ones((k, m))
        self.row = np.empty((1, m))  # softmax: the column maxima, then log Σ e^z
        self.row2 = np.empty((1, m))  # softmax: Σ e^(z − max)
        # forward: layer by layer (W, g, Z, A, [A; 1]); backward: from the last hidden layer down
        self.forward = list(zip(net._Wb[:-1], [g.f for g in net.gs], self.Z, self.A, self.A1, strict=True))
        self.backward = [
            (net._G[i + 1], self.A1[i].T, net._WT[i + 1], self.dZ[i], net.gs[i].df, self.A[i], self.dA[i])
            for i in reversed(range(len(hidden)))  # i: the hidden layer l = i + 1, below layer l + 1
        ]


class _Params(dict):
    """The ``params`` dict: assigning an entry copies into the network's storage (shape checked)."""

    def __setitem__(self, name, value):
        if name in self:
            value = np.asarray(value, dtype=float)
            if value.shape != self[name].shape:
                raise ValueError(f"{name} must have shape {self[name].shape}, got {value.shape}")
            self[name][...] = value
        else:
            raise ValueError(f"unknown parameter {name!r}; the parameters are {', '.join(self)}")


class DeepNN:
    """A fully connected network with 0 to 6 hidden layers, written from scratch in NumPy.

    Parameters
    ----------
    n_input : int
        Number of input features.
    hidden : int or sequence of int, default (10,)
        Units of each hidden layer, 1 … 512 each, at most 6 layers; ``()`` for none (a linear or logistic
        model). An int is one layer.
    n_output : int, default 1
        1 for "binary" and "regression"; the number of classes k ≥ 2 for "multiclass".
    problem : {"binary", "multiclass", "regression"}, optional
        Sets the output layer and the loss (see the module's docstring). Default: "binary" for one output,
        "multiclass" for more.
    activation : str or sequence of str, default "tanh"
        The hidden layers' activation, a name from ``nnviz.core.activations``: one for all, or one per layer.
    init_scale : float or "glorot", default 0.01
        Weights start as ``init_scale · N(0, 1)`` (the lesson's 0.01), or Glorot-uniform in
        ±√(6 / (fan_in + fan_out)). Biases start at zero.
    seed : int, numpy.random.Generator or None
        Where the initial weights (and shuffling in ``fit``) draw from. With an int, every
        ``init_weights`` starts from the same weights, so a run is reproducible; a Generator is drawn
        from on and on.
    regularization : {"none", "l1", "l2"}, default "none"
    reg_rate : float, default 0
        The penalty λ·Σ R(W) on the weights (``nnviz.core.regularization``); changeable between steps with
        ``set_regularization``.
    optimizer : str or Optimizer, default "sgd"
        "sgd" (the lesson's), "momentum" or "adam" (``nnviz.core.optimizers``); changeable with ``set_optimizer``.

    Attributes
    ----------
    sizes : tuple of int
        ``(n_input, *hidden, n_output)``.
    n_layers : int
        L, the number of weight layers (hidden layers + 1).
    params : dict
        ``W1 b1 … WL bL``: ``W{l}`` of shape (n_l, n_{l−1}), ``b{l}`` of shape (n_l, 1).
    cache : dict
        ``Z1 A1 … ZL AL``, each (n_l, m), from the last ``forward``.
    grads : dict
        ``dW1 db1 … dWL dbL``, shaped like the parameters, from the last ``backward`` (the penalty's
        gradient included).
    gs : tuple of Activation
        The hidden layers' activations g[1] … g[L−1]: ``g.f`` and ``g.df`` (written with the output).
    """

    max_units = MAX_LAYER_UNITS

    def __init__(self, n_input, hidden=(10,), n_output=1, *, problem=None, activation="tanh", init_scale=0.01,
                 seed=None, regularization="none", reg_rate=0.0, optimizer="sgd"):
        self.n_input = check_int("input features", n_input, maximum=MAX_INPUTS)
        hidden = self._check_hidden(hidden)
        self.n_output = check_int("output units", n_output, maximum=MAX_OUTPUTS)
        if problem is None:
            problem = "binary" if self.n_output == 1 else "multiclass"
        if problem not in PROBLEMS:
            raise ValueError(f"unknown problem {problem!r}; choose one of {', '.join(PROBLEMS)}")
        if problem in ("binary", "regression") and self.n_output != 1:
            raise ValueError(f"a {problem} network has 1 output unit, got {self.n_output}")
        if problem == "multiclass" and self.n_output < 2:
            raise ValueError(f"a multiclass network needs an output unit per class (at least 2), got {self.n_output}")
        self.problem = problem
        self.sizes = (self.n_input, *hidden, self.n_output)
        self.n_layers = len(self.sizes) - 1
        self.activations = self._check_activations(activation, len(hidden))
        self.gs = tuple(get_activation(a) for a in self.activations)
        self.init_scale = init_scale if init_scale == "glorot" else check_positive_float("init scale", init_scale)
        if not (seed is None or isinstance(seed, np.random.Generator)):
            seed = check_int("seed", seed, minimum=0)
        self.seed = seed
        self.param_names = param_names(self.n_layers)
        self.set_regularization(regularization, reg_rate)
        self.optimizer = make_optimizer(optimizer)
        self.cache, self.grads = {}, {}
        self._buffers: dict[int, _Buffers] = {}  # train_step's scratch arrays, per batch size
        self._eval_buffers: dict[int, tuple] = {}  # logits' scratch arrays, per number of samples
        self.init_weights()

    # ----------------------------------------------------------------- validation of the architecture

    def _check_hidden(self, hidden) -> tuple[int, ...]:
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            hidden = (hidden,)
        if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Iterable):
            raise ValueError(f"hidden must be a list of layer sizes, e.g. (8, 8), got {hidden!r}")
        hidden = tuple(hidden)
        if len(hidden) > MAX_HIDDEN_LAYERS:
            raise ValueError(f"at most {MAX_HIDDEN_LAYERS} hidden layers, got {len(hidden)}: {tuple(hidden)!r}")
        return tuple(check_int(f"units of hidden layer {i}", n, maximum=self.max_units)
                     for i, n in enumerate(hidden, start=1))

    @staticmethod
    def _check_activations(activation, n_hidden: int) -> tuple[str, ...]:
        if isinstance(activation, str):
            names = [activation] * n_hidden
        elif isinstance(activation, Iterable):
            names = list(activation)
        else:
            raise ValueError(f"activation must be a name or one name per hidden layer, got {activation!r}")
        if len(names) != n_hidden:
            raise ValueError(f"one activation per hidden layer: {n_hidden} layers, got {len(names)} activations "
                             f"{tuple(names)!r}")
        checked = []
        for name in names:
            act = get_activation(name)
            if act.name not in HIDDEN_ACTIVATIONS:
                raise ValueError(
                    f"activation {name!r} cannot train a hidden layer (its gradient is zero or it is not "
                    f"elementwise); choose one of {', '.join(HIDDEN_ACTIVATIONS)}"
                )
            checked.append(act.name)
        return tuple(checked)

    @property
    def hidden(self) -> tuple[int, ...]:
        """The hidden layers' sizes."""
        return self.sizes[1:-1]

    @property
    def activation(self):
        """The hidden activation's name when all hidden layers share one (or there are none: None),
        else the tuple of names."""
        if not self.activations:
            return None
        return self.activations[0] if len(set(self.activations)) == 1 else self.activations

    @property
    def n_params(self) -> int:
        """The number of trainable numbers: weights and biases of every layer."""
        return sum(n * (n_prev + 1) for n_prev, n in zip(self.sizes, self.sizes[1:], strict=False))

    # ----------------------------------------------------------------- regularization and optimizer

    def set_regularization(self, kind="none", rate=0.0):
        """The penalty on the weights from the next step on: ``kind`` "none", "l1" or "l2", rate λ ≥ 0."""
        reg = get_regularization(kind)
        rate = check_reg_rate(rate)
        self.regularization, self.reg_rate = reg.name, rate
        self._reg = reg if reg.value is not None and rate > 0 else None
        self.last_penalty = 0.0  # the penalty in the objective of the last train_step

    @property
    def penalised(self) -> bool:
        """Whether the objective has a penalty (a regularization with a rate above 0)."""
        return self._reg is not None

    def set_optimizer(self, optimizer):
        """Use ``optimizer`` (a name or an ``Optimizer``) from the next step on. A different optimizer starts
        from a fresh state; the same name keeps the current one and its state."""
        if isinstance(optimizer, str) and optimizer == self.optimizer.name:
            return
        self.optimizer = make_optimizer(optimizer)

    def penalty(self) -> float:
        """λ·Σ_l R(W[l]) at the current weights: what the objective adds to the loss (0 without regularization)."""
        if self._reg is None:
            return 0.0
        np.multiply(self._theta, self._wmask, out=self._wm)
        return self.reg_rate * self._reg.value(self._wm)

    # ----------------------------------------------------------------- the lesson's methods

    @property
    def params(self) -> dict:
        return self._params

    @params.setter
    def params(self, value: dict):
        self.set_weights(value)

    def init_weights(self):
        """Fresh weights: small random ``W``s (layer by layer, from ``seed``), zero biases; a fresh optimizer state."""
        if not isinstance(self.seed, np.random.Generator):
            self.rng = np.random.default_rng(self.seed)
        else:
            self.rng = self.seed
        self._link(np.zeros(self.n_params), np.zeros(self.n_params))
        for layer in range(1, self.n_layers + 1):
            W = self.params[f"W{layer}"]
            fan_out, fan_in = W.shape
            if self.init_scale == "glorot":
                limit = np.sqrt(6.0 / (fan_in + fan_out))
                W[...] = self.rng.uniform(-limit, limit, size=W.shape)
            else:
                W[...] = self.rng.standard_normal(W.shape) * self.init_scale
        self.optimizer.reset()
        self.cache, self.grads = {}, {}

    def forward(self, X):
        """Run ``X`` of shape (n_input, m) through the network; store ``Z1 A1 … ZL AL`` in ``cache``.

        Returns
        -------
        AL : ndarray of shape (n_output, m)
            The prediction: probabilities (classification) or values (regression).
        """
        X = self._check_X(X)
        out = self._forward(X)
        self.cache = {f"{kind}{layer}": a for layer, pair in enumerate(zip(out[0::2], out[1::2], strict=True), start=1)
                      for kind, a in zip("ZA", pair, strict=True)}
        return out[-1]

    def compute_loss(self, Y, Y_hat) -> float:
        """The objective J for targets ``Y`` and predictions ``Y_hat``, both of shape (n_output, m): the loss
        (binary or categorical cross-entropy, or ½ mean squared error) plus the penalty (``penalty()``).

        A prediction that saturates at exactly 0 or 1 gives a large but finite cross-entropy.
        """
        Y, Y_hat = np.asarray(Y, dtype=float), np.asarray(Y_hat, dtype=float)
        if Y.ndim != 2 or Y.shape[0] != self.n_output or Y.shape != Y_hat.shape:
            raise ValueError(
                f"Y and Y_hat must both have shape ({self.n_output}, m), got {Y.shape} and {Y_hat.shape}"
            )
        if self.problem == "regression":
            loss = half_squared_error(Y, Y_hat)
        elif self.n_output == 1:
            loss = binary_cross_entropy(Y, Y_hat)
        else:
            loss = categorical_cross_entropy(Y, Y_hat)
        return loss + self.penalty() if self._reg is not None else loss

    def backward(self, X, Y):
        """Gradients of the objective for the batch ``X`` (n_input, m), ``Y`` (n_output, m); stored in ``grads``.

        Uses ``cache`` from the ``forward`` call on the same ``X``.
        """
        X = self._check_X(X)
        Y = self._check_Y(Y, X.shape[1])
        L = self.n_layers
        if not self.cache or self.cache[f"A{L}"].shape[1] != X.shape[1]:
            raise ValueError("call forward(X) on the same batch before backward(X, Y)")
        m = X.shape[1]
        grads = {}
        # sigmoid + binary cross-entropy, softmax + categorical, and linear + ½ squared error all give this
        dZ = self.cache[f"A{L}"] - Y
        for layer in range(L, 0, -1):
            A_prev = X if layer == 1 else self.cache[f"A{layer - 1}"]
            W = self.params[f"W{layer}"]
            dW = np.dot(dZ, A_prev.T) / m
            if self._reg is not None:
                dW = dW + self.reg_rate * self._reg.der(W)
            grads[f"dW{layer}"] = dW
            grads[f"db{layer}"] = np.sum(dZ, axis=1, keepdims=True) / m
            if layer > 1:
                # The lesson hard-coded tanh here (1 - A1**2); g' comes from the activation registry.
                dZ = np.dot(W.T, dZ) * self.gs[layer - 2].df(A_prev)
        self.grads = {f"d{name}": grads[f"d{name}"] for name in self.param_names}

    def update_weights(self, lr):
        """One step of size ``lr`` with the gradients from ``backward``, by the optimizer (the lesson's
        W ← W − lr·dW with the default "sgd")."""
        lr = check_learning_rate(lr)
        if not self.grads:
            raise ValueError("call backward(X, Y) before update_weights(lr)")
        grad = np.empty_like(self._theta)
        for G, layer in zip(self.blocks(grad), range(1, self.n_layers + 1), strict=True):
            G[:, :-1] = self.grads[f"dW{layer}"]
            G[:, -1:] = self.grads[f"db{layer}"]
        if self.optimizer.folds_lr:
            # The lesson wrote `self.params['W1'] -= dW1`: lr was ignored, so every step had size 1.
            grad *= lr
        self.optimizer.update(self._theta, grad, lr)

    def get_batch_indices(self, X_train, batch_size):
        """The batches of one epoch over ``X_train`` of shape (m, n_input), as slices of rows."""
        batch_size = check_int("batch size", batch_size)
        n = np.shape(X_train)[0]
        # The lesson's range(i, i + batch_size) ran past the end when batch_size does not divide n,
        # and its reshape(1, batch_size) then crashed; the last batch is simply shorter.
        return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]

    def fit(self, X_train, y_train, batch_size=32, n_iterations=100, lr=0.01, *, shuffle=False, verbose=False):
        """Train from fresh weights with mini-batches, as the lesson's ``fit``.

        Parameters
        ----------
        X_train : ndarray of shape (m, n_input)
            One sample per row, as the lesson passes it.
        y_train : ndarray of shape (m,)
            Class labels (0/1 for one output), or target values for a regression.
        batch_size, n_iterations, lr
            Samples per step, epochs, step size.
        shuffle : bool, default False
            Visit the samples in a new random order each epoch (the lesson did not).
        verbose : bool
            Print the loss every 10 epochs, as the lesson did.

        Sets ``loss_curve_``: the mean objective over each epoch's batches. Raises ``FloatingPointError``
        when the loss blows up (NaN, inf or above the divergence limit): the learning rate is too high.
        The same steps as a ``nnviz.core.training.Trainer`` with ``evaluate=False`` (a test keeps them equal);
        the ``Trainer`` adds pausing, time budgets, per-epoch metrics and changes during the run.
        """
        lr = check_learning_rate(lr)
        batch_size = check_int("batch size", batch_size)
        n_iterations = check_int("epochs", n_iterations, maximum=1_000_000)
        X_train = check_array("X_train", X_train, ndim=2)
        if X_train.shape[1] != self.n_input:
            raise ValueError(f"X_train must have {self.n_input} features per row, got shape {X_train.shape}")
        m = X_train.shape[0]
        Y_all = self.targets(y_train, m, "y_train")
        limit = self.divergence_limit(Y_all)
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
                    if not loss < limit:  # also true for NaN
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
        """``AL`` of shape (n_output, m) for ``X`` of shape (n_input, m): probabilities, or values for a
        regression; ``cache`` is left alone."""
        return self.layers(X)[-1]

    # ----------------------------------------------------------------- extensions

    def predict_classes(self, X) -> np.ndarray:
        """Predicted class labels of shape (m,) for ``X`` of shape (n_input, m)."""
        if self.problem == "regression":
            raise ValueError("a regression network predicts values, not classes: use predict(X)")
        AL = self.predict(X)
        if self.n_output == 1:
            return (AL[0] > 0.5).astype(np.int64)
        return np.argmax(AL, axis=0)

    def layers(self, X) -> tuple[np.ndarray, ...]:
        """``Z1, A1, Z2, A2, …, ZL, AL`` for ``X`` of shape (n_input, m), each (n_l, m): what ``forward``
        computes, without storing it in ``cache`` (``out[0::2]`` are the Z's, ``out[1::2]`` the A's)."""
        return self._forward(self._check_X(X))

    def loss(self, X, Y) -> float:
        """The objective on ``X`` (n_input, m), ``Y`` (n_output, m): the loss computed from the output's
        pre-activation (exact, no clipping) plus the penalty."""
        X = self._check_X(X)
        Y = self._check_Y(Y, X.shape[1])
        return self.loss_from_logits(Y, self._forward(X)[-2]) + self.penalty()

    def loss_from_logits(self, Y, ZL) -> float:
        """The loss (no penalty) for targets ``Y`` and output pre-activations ``ZL``, both (n_output, m):
        binary cross-entropy from logits, categorical from logits, or ½ mean squared error."""
        if self.problem == "regression":
            return half_squared_error(Y, ZL)
        if self.n_output == 1:
            return binary_cross_entropy_from_logits(Y, ZL)
        return categorical_cross_entropy_from_logits(Y, ZL)

    def targets(self, y, m: int | None = None, name: str = "labels") -> np.ndarray:
        """``y`` of shape (m,) as this network's target ``Y`` of shape (n_output, m), checked."""
        return targets_to_Y(y, self.problem, self.n_output, m, name)

    def divergence_limit(self, Y) -> float:
        """A loss above this means the weights have blown up. Cross-entropy: 1000 (logits around ±1000 on the
        wrong side). Squared error: 1000 × the loss of predicting 0 everywhere (at least 1000), so a target
        in thousands is not mistaken for divergence."""
        from_zero = 0.5 * float(np.mean(np.square(Y))) if self.problem == "regression" else 0.0
        return 1e3 * max(1.0, from_zero)

    def logits(self, X1) -> np.ndarray:
        """``ZL`` of shape (n_output, m) for a whole set ``X1`` of shape (m, n_input + 1) in ``train_step``'s
        layout (one sample per row, a last column of ones); for measuring a set after each epoch.

        Not validated, like ``train_step``. The result is a buffer kept per number of samples: the next
        call with as many samples overwrites it (allocating arrays of a large set each epoch is costly).
        """
        m = X1.shape[0]
        bufs = self._eval_buffers.get(m)
        if bufs is None:
            if len(self._eval_buffers) > 4:
                self._eval_buffers.clear()
            hidden = [(np.empty((n, m)), np.ones((n + 1, m))) for n in self.hidden]  # Z, [A; 1]
            bufs = self._eval_buffers[m] = (hidden, np.empty((self.n_output, m)))
        hidden, ZL = bufs
        prev = X1.T
        for Wb, g, (Z, A1) in zip(self._Wb, self.gs, hidden, strict=False):
            np.dot(Wb, prev, out=Z)
            g.f(Z, out=A1[:-1])
            prev = A1
        np.dot(self._Wb[-1], prev, out=ZL)
        return ZL

    def train_step(self, X1, Y, lr) -> float:
        """``forward``, ``backward`` and an optimizer step fused into one fast step.

        The same maths as ``forward``, ``backward`` and ``update_weights``, with fewer NumPy calls: tiny
        networks are bound by Python overhead, so each call saved pays. Weights and bias are multiplied
        together (the bias trick), results go into preallocated buffers, and the optimizer updates every
        parameter array at once. For plain SGD the step size is folded into dZ[L] (α/m, applied once), so
        the lesson's step costs one subtraction. Inputs are not validated (the ``Trainer`` checks the whole
        dataset once); ``cache`` and ``grads`` are left alone.

        Parameters
        ----------
        X1 : ndarray of shape (m, n_input + 1)
            The batch, one sample per row, with a last column of ones (``with_ones_column``); rows keep
            each batch one contiguous block.
        Y : ndarray of shape (n_output, m)
        lr : float

        Returns
        -------
        float
            The batch's objective (loss plus penalty) before the update.
        """
        m = X1.shape[0]
        b = self._buffers.get(m)
        if b is None:
            if len(self._buffers) > 4:  # batch sizes change rarely; keep memory bounded anyway
                self._buffers.clear()
            b = self._buffers[m] = _Buffers(self, m)

        prev = X1.T
        for Wb, f, Z, A, A1 in b.forward:
            np.dot(Wb, prev, out=Z)  # Z[l] = W[l]·A[l−1] + b[l]
            f(Z, out=A)  # A[l] = g(Z[l])
            prev = A1
        ZL, AL, dZ = b.ZL, b.AL, b.dZL
        np.dot(self._Wb[-1], prev, out=ZL)  # Z[L] = W[L]·A[L−1] + b[L]
        problem = self.problem
        if problem == "binary":
            np.logaddexp(0.0, ZL, out=b.tmp)  # per-sample loss log(1 + e^z) − y·z
            loss = (np.vdot(b.ones, b.tmp) - np.vdot(Y, ZL)) / m  # Σ as a dot product: cheaper than .sum()
            sigmoid(ZL, out=AL)  # A[L] = σ(Z[L])
            np.subtract(AL, Y, out=dZ)  # dZ[L] = A[L] − Y
        elif problem == "multiclass":
            zmax, s = b.row, b.row2
            np.max(ZL, axis=0, keepdims=True, out=zmax)
            np.subtract(ZL, zmax, out=AL)
            np.exp(AL, out=AL)
            np.sum(AL, axis=0, keepdims=True, out=s)
            np.divide(AL, s, out=AL)  # A[L] = softmax(Z[L]), shifted by the column maxima against overflow
            np.log(s, out=s)
            s += zmax  # log Σ_k e^(z_k), per sample
            loss = (np.sum(s) - np.vdot(Y, ZL)) / m
            np.subtract(AL, Y, out=dZ)
        else:
            np.subtract(ZL, Y, out=dZ)  # A[L] = Z[L]: dZ[L] = A[L] − Y
            loss = np.vdot(dZ, dZ) / (2 * m)  # ½ mean squared error

        fold = self.optimizer.folds_lr
        dZ *= (lr / m) if fold else (1.0 / m)  # the 1/m of every gradient (and SGD's step size), applied once
        for G, A1T, WT, dZ_prev, df, A, dA in b.backward:
            np.dot(dZ, A1T, out=G)  # [dW[l] | db[l]] = dZ[l]·[A[l−1]; 1]ᵀ / m
            np.dot(WT, dZ, out=dZ_prev)
            df(A, out=dA)
            dZ_prev *= dA  # dZ[l−1] = W[l]ᵀ·dZ[l] ∗ g'(Z[l−1])
            dZ = dZ_prev
        np.dot(dZ, X1, out=self._G[0])  # [dW[1] | db[1]] = dZ[1]·[X; 1]ᵀ / m
        reg = self._reg
        if reg is not None:
            wm = self._wm
            np.multiply(self._theta, self._wmask, out=wm)  # the weights, biases as 0
            penalty = self.last_penalty = self.reg_rate * reg.value(wm)
            loss += penalty
            d = reg.der(wm, self._wtmp)
            np.multiply(d, self.reg_rate * lr if fold else self.reg_rate, out=self._wtmp)
            self._step += self._wtmp  # dW += λ·R'(W)
        self.optimizer.update(self._theta, self._step, lr)  # every array at once; SGD: W ← W − α·dW
        return float(loss)

    def get_weights(self) -> dict:
        """A copy of ``params``."""
        return {k: v.copy() for k, v in self.params.items()}

    def set_weights(self, params: dict):
        """Load every parameter (``W1 b1 … WL bL``; copied, shapes checked) into the network."""
        missing = [name for name in self.param_names if name not in params]
        if missing:
            raise ValueError(f"missing parameters: {', '.join(missing)}")
        for name in self.param_names:
            self._params[name] = params[name]

    def set_weight(self, name: str, i: int, j: int, value: float):
        """Set one entry: ``params[name][i, j] = value`` (indices from 0; a bias ``b{l}`` has j = 0), e.g.
        ``set_weight("W2", 0, 3, 0.5)`` is W[2]₀₃. The optimizer's state is kept."""
        if name not in self._params:
            raise ValueError(f"unknown parameter {name!r}; the parameters are {', '.join(self.param_names)}")
        P = self._params[name]
        for axis, (what, index) in enumerate((("row", i), ("column", j))):
            if isinstance(index, bool) or not isinstance(index, numbers.Integral) or not 0 <= index < P.shape[axis]:
                raise ValueError(f"{name} has {P.shape[axis]} {what}s (0 … {P.shape[axis] - 1}), got {what} {index!r}")
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
            raise ValueError(f"a weight must be a finite number, got {value!r}")
        P[i, j] = float(value)

    # ----------------------------------------------------------------- internals

    def _forward(self, X):
        out = []
        A = X
        for layer in range(1, self.n_layers + 1):
            Z = np.dot(self.params[f"W{layer}"], A) + self.params[f"b{layer}"]  # (n_l, m)
            if layer < self.n_layers:
                A = self.gs[layer - 1].f(Z)
            elif self.problem == "regression":
                A = Z
            elif self.n_output == 1:
                A = sigmoid(Z)
            else:
                A = softmax(Z, axis=0)
            out += [Z, A]
        return tuple(out)

    def blocks(self, flat) -> list[np.ndarray]:
        """A flat vector in the layout of the parameters (``n_params`` long: what an optimizer receives) as
        the per-layer blocks ``[W[l] | b[l]]`` of shape (n_l, n_{l−1} + 1), views."""
        blocks, start = [], 0
        for n_prev, n in zip(self.sizes, self.sizes[1:], strict=False):
            size = n * (n_prev + 1)
            blocks.append(flat[start:start + size].reshape(n, n_prev + 1))
            start += size
        return blocks

    def _link(self, theta, step):
        """Make ``params`` views into the flat vector ``theta`` and the step buffers views into ``step``."""
        self._theta, self._step = theta, step
        self._Wb = self.blocks(theta)  # [W[l] | b[l]]
        self._G = self.blocks(step)
        self._WT = [Wb[:, :-1].T for Wb in self._Wb]  # W[l]ᵀ, for the backward pass
        self._params = _Params()
        for layer, Wb in enumerate(self._Wb, start=1):
            dict.__setitem__(self._params, f"W{layer}", Wb[:, :-1])
            dict.__setitem__(self._params, f"b{layer}", Wb[:, -1:])
        mask = np.zeros_like(theta)  # 1 where theta holds a weight, 0 for a bias: the penalty's domain
        for M in self.blocks(mask):
            M[:, :-1] = 1.0
        self._wmask, self._wm, self._wtmp = mask, np.empty_like(theta), np.empty_like(theta)
        self._buffers, self._eval_buffers = {}, {}

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
        # Pickled to ship a model to a training worker: the flat vector and the optimizer's state travel;
        # views, masks and scratch buffers are rebuilt on arrival.
        state = self.__dict__.copy()
        for key in ("gs", "_reg", "_buffers", "_eval_buffers", "_params", "_Wb", "_G", "_WT", "_step",
                    "_wmask", "_wm", "_wtmp"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.gs = tuple(get_activation(a) for a in self.activations)
        self.set_regularization(self.regularization, self.reg_rate)
        self._link(self._theta, np.zeros_like(self._theta))


# The optimizer's class is part of the public API of a network: re-exported for type hints.
__all__ = ["DeepNN", "Optimizer", "PROBLEMS", "accuracy", "labels_to_Y", "one_hot", "param_names", "r2_score",
           "targets_to_Y", "with_ones_column"]
