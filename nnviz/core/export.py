"""Take a run home: its weights and data as ``.npz``, and a short standalone NumPy script that
rebuilds the network from that file and evaluates it with its final weights — the page's test loss and
accuracies, and a training loss that says why it is not the page's (an epoch's mean, ``TRAIN_LOSS_READOUT``).

The ``.npz`` holds only arrays and strings (``np.load(..., allow_pickle=False)`` reads it).
"""

from __future__ import annotations

import io
import json

import numpy as np

from nnviz.core.network import ShallowNN

_ACTIVATION_CODE = {
    "tanh": "np.tanh(Z)",
    "sigmoid": "1 / (1 + np.exp(-Z))",
    "relu": "np.maximum(Z, 0)",
    "leaky_relu": "np.maximum(Z, 0.01 * Z)",
    "linear": "Z",
}


#: The page's "Train loss" readout as the export's metrics name it: the mean of the last epoch's batch losses,
#: each taken before its step — not the loss of the final weights, which the script prints.
TRAIN_LOSS_READOUT = "train loss (mean over the epoch's batches)"


def weights_npz(model: ShallowNN, X_train, y_train, X_test, y_test, settings: dict, metrics: dict) -> bytes:
    """The run as an ``.npz`` file: ``W1 b1 W2 b2``, the data it was trained and tested on,
    and the settings and final metrics as JSON text."""
    buf = io.BytesIO()
    np.savez_compressed(
        buf, **{k: np.asarray(v) for k, v in model.params.items()},
        X_train=np.asarray(X_train, dtype=float), y_train=np.asarray(y_train, dtype=np.int64),
        X_test=np.asarray(X_test, dtype=float), y_test=np.asarray(y_test, dtype=np.int64),
        activation=np.array(model.activation), settings=np.array(json.dumps(settings, sort_keys=True)),
        metrics=np.array(json.dumps(metrics, sort_keys=True)),
    )
    return buf.getvalue()


def standalone_script(activation: str, filename: str = "nnviz_run.npz", metrics: dict | None = None,
                      settings_text: str = "") -> str:
    """A self-contained Python script (NumPy only) that loads ``filename`` and evaluates the network."""
    if activation not in _ACTIVATION_CODE:
        raise ValueError(f"no standalone code for activation {activation!r}")
    expected, readout = "", ""
    if metrics and TRAIN_LOSS_READOUT in metrics:
        readout = (f'print("(The page\'s Train loss, {metrics[TRAIN_LOSS_READOUT]:.4f}, is the mean of the last epoch\'s '
                   f'batch losses, each taken before its step; the loss above is that of the final weights.)")\n')
    if metrics:
        expected = "\n".join(f"#   {k}: {v}" for k, v in sorted(metrics.items()))
        expected = f"# The page showed, at the end of this run:\n{expected}\n"
    return f'''"""Rebuild and evaluate a network trained in nnviz — needs only NumPy.

Run:  python {filename.rsplit(".", 1)[0]}.py      (with {filename} in the same folder)
{settings_text}
"""
{expected}
from pathlib import Path

import numpy as np

run = np.load(Path(__file__).with_name("{filename}"), allow_pickle=False)
W1, b1, W2, b2 = run["W1"], run["b1"], run["W2"], run["b2"]


def forward(X):
    """X: one column per sample, shape (n_features, m) -> P(class 1), shape (1, m)."""
    Z = W1 @ X + b1
    A1 = {_ACTIVATION_CODE[activation]}
    Z2 = W2 @ A1 + b2
    return 0.5 * (1 + np.tanh(Z2 / 2))  # the sigmoid, without overflow


def evaluate(X, y):
    p = forward(X.T)[0]
    eps = 1e-12
    loss = -np.mean(y * np.log(np.clip(p, eps, 1)) + (1 - y) * np.log(np.clip(1 - p, eps, 1)))
    accuracy = np.mean((p > 0.5) == (y == 1))
    return loss, accuracy


print("With the final weights:")
for part in ("train", "test"):
    loss, acc = evaluate(run["X_" + part], run["y_" + part])
    print(f"{{part}}: loss {{loss:.4f}}, accuracy {{acc * 100:.2f}} %")
{readout}'''
