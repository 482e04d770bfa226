"""Take a run home: its weights and data as ``.npz``, and a short standalone NumPy script that
rebuilds the network from that file and evaluates it with its final weights — the page's test loss and
accuracies, and a training loss that says why it is not the page's (an epoch's mean, ``TRAIN_LOSS_READOUT``).

The ``.npz`` holds only arrays and strings (``np.load(..., allow_pickle=False)`` reads it).
"""

from __future__ import annotations

import io
import json

import numpy as np

from nnviz.core.deep_network import DeepNN

#: NumPy code of each hidden activation the app offers, as the exported script writes it (``Z`` in, ``A`` out)
ACTIVATION_CODE = {
    "tanh": "np.tanh(Z)",
    "sigmoid": "0.5 * (1 + np.tanh(Z / 2))",
    "relu": "np.maximum(Z, 0)",
    "leaky_relu": "np.maximum(Z, 0.01 * Z)",
    "linear": "Z",
}


#: The page's "Train loss" readout as the export's metrics name it: the mean of the last epoch's batch losses,
#: each taken before its step — not the loss of the final weights, which the script prints.
TRAIN_LOSS_READOUT = "train loss (mean over the epoch's batches)"


def weights_npz(model: DeepNN, X_train, y_train, X_test, y_test, settings: dict, metrics: dict) -> bytes:
    """The run as an ``.npz`` file: ``W1 b1 … WL bL``, the layer sizes, activations and problem, the data it was
    trained and tested on (the network's inputs: chosen features included), and the settings and final metrics as
    JSON text."""
    regression = model.problem == "regression"
    buf = io.BytesIO()
    np.savez_compressed(
        buf, **{k: np.asarray(v) for k, v in model.params.items()},
        sizes=np.asarray(model.sizes, dtype=np.int64), activations=np.array(model.activations, dtype=str),
        problem=np.array(model.problem),
        X_train=np.asarray(X_train, dtype=float), y_train=np.asarray(y_train, dtype=float if regression else np.int64),
        X_test=np.asarray(X_test, dtype=float), y_test=np.asarray(y_test, dtype=float if regression else np.int64),
        settings=np.array(json.dumps(settings, sort_keys=True)), metrics=np.array(json.dumps(metrics, sort_keys=True)),
    )
    return buf.getvalue()


def standalone_script(filename: str = "nnviz_run.npz", metrics: dict | None = None, settings_text: str = "") -> str:
    """A self-contained Python script (NumPy only) that loads ``filename`` and evaluates the network in it, whatever
    its layers, activations and problem (two classes, several, or a regression)."""
    expected, readout = "", ""
    if metrics and TRAIN_LOSS_READOUT in metrics:
        readout = (f'print("(The page\'s Train loss, {metrics[TRAIN_LOSS_READOUT]:.4f}, is the mean of the last epoch\'s '
                   f'batch losses, each taken before its step; the loss above is that of the final weights.)")\n')
    if metrics:
        expected = "\n".join(f"#   {k}: {v}" for k, v in sorted(metrics.items()))
        expected = f"# The page showed, at the end of this run:\n{expected}\n"
    activations = "\n".join(f'    "{name}": lambda Z: {code},' for name, code in ACTIVATION_CODE.items())
    return f'''"""Rebuild and evaluate a network trained in nnviz — needs only NumPy.

Run:  python {filename.rsplit(".", 1)[0]}.py      (with {filename} in the same folder)
{settings_text}
"""
{expected}
from pathlib import Path

import numpy as np

run = np.load(Path(__file__).with_name("{filename}"), allow_pickle=False)
L = len(run["sizes"]) - 1  # layers with weights: the hidden ones and the output
W = [None] + [run[f"W{{l}}"] for l in range(1, L + 1)]
b = [None] + [run[f"b{{l}}"] for l in range(1, L + 1)]
hidden_activations = [str(a) for a in run["activations"]]
problem = str(run["problem"])  # "binary", "multiclass" or "regression"
G = {{
{activations}
}}


def output(Z):
    if problem == "binary":
        return 0.5 * (1 + np.tanh(Z / 2))  # the sigmoid, without overflow
    if problem == "multiclass":
        E = np.exp(Z - Z.max(axis=0))  # the softmax, shifted so that exp cannot overflow
        return E / E.sum(axis=0)
    return Z  # a regression's output is linear


def forward(X):
    """X: one column per sample, shape (n_inputs, m) -> the output layer A[L], shape (n_outputs, m)."""
    A = X
    for l in range(1, L + 1):
        Z = W[l] @ A + b[l]
        A = G[hidden_activations[l - 1]](Z) if l < L else output(Z)
    return A


def evaluate(X, y):
    """The loss (without any weight penalty) and the accuracy, or R² for a regression."""
    A = forward(X.T)
    eps = 1e-12
    if problem == "regression":
        p = A[0]
        loss = 0.5 * np.mean((p - y) ** 2)  # ½·MSE, the loss the page trains and shows
        score = 1 - np.sum((y - p) ** 2) / np.sum((y - y.mean()) ** 2)
        return loss, score
    if problem == "binary":
        p = A[0]
        loss = -np.mean(y * np.log(np.clip(p, eps, 1)) + (1 - y) * np.log(np.clip(1 - p, eps, 1)))
        return loss, np.mean((p > 0.5) == (y == 1))
    loss = -np.mean(np.log(np.clip(A[y, np.arange(y.size)], eps, 1)))
    return loss, np.mean(A.argmax(axis=0) == y)


print("With the final weights:")
for part in ("train", "test"):
    loss, score = evaluate(run["X_" + part], run["y_" + part])
    if problem == "regression":
        print(f"{{part}}: loss {{loss:.4f}}, R² {{score:.4f}}")
    else:
        print(f"{{part}}: loss {{loss:.4f}}, accuracy {{score * 100:.2f}} %")
{readout}'''
