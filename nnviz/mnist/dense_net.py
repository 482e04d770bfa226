"""The lesson's MNIST network as plain data: its weights, its Keras summary, and a NumPy forward pass.

Keras trains the network (in the training process, ``nnviz.mnist.keras_model``); everything the pages do
with a trained network afterwards — predict a drawn digit, evaluate the test set, draw a hidden
unit's weights, show ``summary()`` — needs only its four arrays and a few lines of text. So a
trained network travels as one ``.npz`` file and the server never imports TensorFlow (importing it
makes Streamlit clear Keras's session after every script run of every session, which slowed the
whole server down).

Dense(512, relu) → Dense(10, softmax) is two matrix products:

    A1 = relu(X · W1 + b1)          X (n, 784), W1 (784, 512), b1 (512,)
    P  = softmax(A1 · W2 + b2)      W2 (512, 10), b2 (10,)  →  P (n, 10)

(Keras stacks samples as rows, so its weight matrices are the transposes of the lesson's W^{[l]}.)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnviz import ROOT

READY_WEIGHTS = ROOT / "models" / "mnist_dense_weights.npz"
READY_HISTORY = ROOT / "models" / "mnist_dense_history.json"
WEIGHT_NAMES = ("W1", "b1", "W2", "b2")


@dataclass
class DenseNet:
    """A trained 784-512-10 network: Keras's weights (float32) and what Keras said about it.

    ``summary`` holds ``text`` (``model.summary()`` as Keras prints it before training), ``layers``
    (rows: layer, type, output shape, parameters), ``trainable``, ``non_trainable``, ``bytes`` and
    ``optimizer_params`` (the optimizer's own variables, counted by Keras once the model has trained).
    """

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray
    summary: dict = field(default_factory=dict)

    def __post_init__(self):
        shapes = [np.shape(w) for w in self.weights()]
        if shapes[0][0] != 784 or shapes[2][1] != 10 or shapes[1] != (shapes[0][1],) or shapes[3] != (10,) \
                or shapes[2][0] != shapes[0][1]:
            raise ValueError(f"expected weights of shapes (784, h), (h,), (h, 10), (10,), got {shapes}")

    def weights(self) -> list[np.ndarray]:
        """``[W1, b1, W2, b2]`` in Keras's order (what ``model.get_weights()`` returns)."""
        return [self.W1, self.b1, self.W2, self.b2]

    def weight_shapes(self) -> list[tuple[int, ...]]:
        """[(784, 512), (512,), (512, 10), (10,)] for the lesson's network."""
        return [tuple(np.shape(w)) for w in self.weights()]

    def count_params(self) -> int:
        return int(sum(np.size(w) for w in self.weights()))

    def predict(self, images) -> np.ndarray:
        """Class probabilities, shape (n, 10), for uint8 images (n, 28, 28) or one (28, 28) image.

        Float32 throughout, as Keras computes, so the result equals Keras's within float rounding.
        """
        X = np.asarray(images).reshape(-1, 784).astype(np.float32) / np.float32(255.0)
        A1 = np.maximum(X @ self.W1 + self.b1, 0.0)
        Z2 = A1 @ self.W2 + self.b2
        Z2 -= Z2.max(axis=1, keepdims=True)  # softmax without overflow
        E = np.exp(Z2)
        return E / E.sum(axis=1, keepdims=True)

    def save(self, path: str | Path):
        """One ``.npz``: the four arrays and the summary as JSON text (no pickles)."""
        path = Path(path)
        np.savez(path, **dict(zip(WEIGHT_NAMES, self.weights(), strict=True)),
                 summary=np.array(json.dumps(self.summary)))

    @classmethod
    def load(cls, path: str | Path) -> DenseNet:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k].astype(np.float32) for k in WEIGHT_NAMES}
            summary = json.loads(str(f["summary"])) if "summary" in f.files else {}
        return cls(**arrays, summary=summary)


def load_ready() -> DenseNet | None:
    """The ready model's exported weights (``models/train_ready_model.py`` writes them), or None if missing."""
    return DenseNet.load(READY_WEIGHTS) if READY_WEIGHTS.exists() else None


def load_ready_history() -> dict | None:
    """The ready model's training record: per-epoch ``loss``/``accuracy``, ``test_loss``, ``test_accuracy``."""
    return json.loads(READY_HISTORY.read_text()) if READY_HISTORY.exists() else None
