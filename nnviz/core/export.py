"""Take a run home: its weights and data as ``.npz``, and a short standalone NumPy script that
rebuilds the network from that file and evaluates it with its final weights — the page's test loss and
accuracies, and a training loss that says why it is not the page's (an epoch's mean, ``TRAIN_LOSS_READOUT``).
With the run's recipe (``training_recipe``: its initial weights, steps, optimizer, penalty, batches and the
changes made while it played), ``python nnviz_run.py --train`` trains the network again from its first weights,
step by step in plain NumPy, and says how far the result is from the page's.

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


def training_recipe(settings, initial: DeepNN, n_train: int, steps: int) -> dict:
    """What retraining the run takes, for ``weights_npz``: the initial network (``settings.new_trainer``'s, before any
    step), the number of steps the run took, and how it took them (a ``TrainerSettings`` with its schedule)."""
    return {
        "initial": {f"init_{k}": np.asarray(v).copy() for k, v in initial.params.items()},
        "training": {"steps": int(steps), "lr": settings.lr, "batch_size": settings.batch_for(n_train),
                     "shuffle": settings.shuffle, "seed": settings.seed, "optimizer": settings.optimizer,
                     "regularization": settings.reg, "reg_rate": settings.trainer_value("reg_rate"),
                     "schedule": [list(c) for c in settings.schedule]},
    }


def weights_npz(model: DeepNN, X_train, y_train, X_test, y_test, settings: dict, metrics: dict,
                recipe: dict | None = None) -> bytes:
    """The run as an ``.npz`` file: ``W1 b1 … WL bL``, the layer sizes, activations and problem, the data it was
    trained and tested on (the network's inputs: chosen features included), and the settings and final metrics as
    JSON text; with ``recipe`` (``training_recipe``) also the initial weights and how the run trained."""
    regression = model.problem == "regression"
    extra = {}
    if recipe is not None:
        extra = {**recipe["initial"], "training": np.array(json.dumps(recipe["training"], sort_keys=True))}
    buf = io.BytesIO()
    np.savez_compressed(
        buf, **{k: np.asarray(v) for k, v in model.params.items()}, **extra,
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
import json
import sys
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


def targets(y):
    if problem == "multiclass":
        return np.eye(W[L].shape[0])[:, y]
    return np.asarray(y, dtype=float)[None, :]


SLOPE = {{
    "tanh": lambda A: 1 - A**2,
    "sigmoid": lambda A: A * (1 - A),
    "relu": lambda A: (A > 0).astype(float),
    "leaky_relu": lambda A: np.where(A > 0, 1.0, 0.01),
    "linear": lambda A: np.ones_like(A),
}}


def train():
    """The run again from its first weights: the same batches, optimizer, penalty and changes, step by step."""
    recipe = json.loads(str(run["training"]))
    Ws = [None] + [run[f"init_W{{l}}"].copy() for l in range(1, L + 1)]
    bs = [None] + [run[f"init_b{{l}}"].copy() for l in range(1, L + 1)]
    X_all, y_all = run["X_train"], run["y_train"]
    m, size = len(y_all), recipe["batch_size"]
    lr, optimizer = recipe["lr"], recipe["optimizer"]
    reg, rate = recipe["regularization"], recipe["reg_rate"]
    changes = [tuple(c) for c in recipe["schedule"]]
    rng = np.random.default_rng(recipe["seed"])
    state, t, step = {{}}, 0, 0
    while step < recipe["steps"]:
        order = rng.permutation(m) if recipe["shuffle"] else np.arange(m)
        for start in range(0, m, size):
            if step == recipe["steps"]:
                break
            while changes and changes[0][0] == step:  # a change made while the run played, from this step on
                _, what, value = changes.pop(0)
                if what == "lr":
                    lr = value
                elif what == "optimizer":
                    optimizer, state, t = value, {{}}, 0  # a new optimizer starts from a fresh state
                elif what == "regularization":
                    reg = value
                else:
                    rate = value
            idx = order[start:start + size]
            X, Y, n = X_all[idx].T, targets(y_all[idx]), len(idx)
            As = [X]
            for l in range(1, L + 1):
                Z = Ws[l] @ As[-1] + bs[l]
                As.append(G[hidden_activations[l - 1]](Z) if l < L else output(Z))
            dZ = As[L] - Y  # sigmoid, softmax and a linear output with their losses: dZ[L] = A[L] − Y
            grads = {{}}
            for l in range(L, 0, -1):
                dW = dZ @ As[l - 1].T / n
                if reg == "l2":
                    dW = dW + rate * Ws[l]
                elif reg == "l1":
                    dW = dW + rate * np.sign(Ws[l])
                grads[("W", l)], grads[("b", l)] = dW, dZ.sum(axis=1, keepdims=True) / n
                if l > 1:
                    dZ = (Ws[l].T @ dZ) * SLOPE[hidden_activations[l - 2]](As[l - 1])
            t += 1
            for (kind, l), g in grads.items():
                P = Ws[l] if kind == "W" else bs[l]
                if optimizer == "sgd":
                    P -= lr * g
                elif optimizer == "momentum":
                    V = state[(kind, l)] = 0.9 * state.get((kind, l), 0.0) + 0.1 * g
                    P -= lr * V
                else:  # Adam
                    V = state[("V", kind, l)] = 0.9 * state.get(("V", kind, l), 0.0) + 0.1 * g
                    S = state[("S", kind, l)] = 0.999 * state.get(("S", kind, l), 0.0) + 0.001 * g**2
                    P -= lr * (V / (1 - 0.9**t)) / (np.sqrt(S / (1 - 0.999**t)) + 1e-8)
            step += 1
    return Ws, bs


print("With the final weights:")
for part in ("train", "test"):
    loss, score = evaluate(run["X_" + part], run["y_" + part])
    if problem == "regression":
        print(f"{{part}}: loss {{loss:.4f}}, R² {{score:.4f}}")
    else:
        print(f"{{part}}: loss {{loss:.4f}}, accuracy {{score * 100:.2f}} %")
{readout}
if "--train" in sys.argv:
    if "training" not in run:
        sys.exit("This file holds no training recipe: export the run again from the page.")
    Ws, bs = train()
    steps = json.loads(str(run["training"]))["steps"]
    far = max(max(np.max(np.abs(Ws[l] - W[l])), np.max(np.abs(bs[l] - b[l]))) for l in range(1, L + 1))
    print(f"Trained again from the first weights, {{steps}} steps: the largest difference from the page's "
          f"weights is {{far:.1e}}.")
'''
