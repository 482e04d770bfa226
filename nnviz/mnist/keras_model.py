"""The lesson's Keras network for MNIST (lesson 1.4) — the only module that imports TensorFlow,
and only the training process imports it (the server never does: see ``nnviz.mnist.dense_net``).

Dense(512, relu, input 784) → Dense(10, softmax), compiled with rmsprop, categorical
cross-entropy and accuracy: 401,920 + 5,130 = 407,050 parameters. Also: the preprocessing
(reshape to 784, float32 / 255, one-hot labels), a callback that streams progress to a page,
the export of a trained model as plain data (``DenseNet``: weights + summary text), and the
training the queue runs (``train_in_worker``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the logs

import keras  # noqa: E402
import numpy as np  # noqa: E402

from nnviz import ROOT  # noqa: E402
from nnviz.mnist.data import load_mnist  # noqa: E402
from nnviz.mnist.dense_net import DenseNet, load_ready  # noqa: E402
from nnviz.serving.jobs import JobProgress, Reporter, peak_memory_mb  # noqa: E402

READY_MODEL = ROOT / "models" / "mnist_dense.keras"


def build_model(seed: int | None = 0) -> keras.Model:
    """The lesson's network, compiled as the lesson compiles it, with the names Keras gives it in the
    lesson (``sequential``, ``dense``, ``dense_1``), fixed so that they do not depend on how many models
    this process built before."""
    if seed is not None:
        keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(784,)),
        keras.layers.Dense(512, activation="relu", name="dense"),
        keras.layers.Dense(10, activation="softmax", name="dense_1"),
    ], name="sequential")
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def preprocess(x, y=None):
    """Images (n, 28, 28) uint8 → (n, 784) float32 in [0, 1]; labels (n,) → one-hot (n, 10) float32."""
    X = np.asarray(x).reshape(-1, 784).astype("float32") / 255.0
    if y is None:
        return X
    return X, keras.utils.to_categorical(np.asarray(y), 10).astype("float32")


def summary_text(model: keras.Model) -> str:
    """``model.summary()`` exactly as Keras prints it."""
    lines = []
    model.summary(print_fn=lambda line, line_break=True: lines.append(line))
    return "\n".join(lines).rstrip() + "\n"


def export(model: keras.Model) -> DenseNet:
    """The trained model as plain data: its weights and its summary.

    The summary text is the one Keras prints for the architecture before training, as the lesson shows it
    (a trained model's summary also counts the optimizer's variables: rmsprop keeps one running average per
    weight, plus its step counter — reported as ``optimizer_params``).
    """
    fresh = build_model(seed=None)
    rows = [{"layer": f"{layer.name} ({type(layer).__name__})", "output shape": str((None, *layer.output.shape[1:])),
             "parameters": int(layer.count_params())} for layer in fresh.layers]
    trainable = int(sum(np.prod(w.shape) for w in fresh.trainable_weights))
    optimizer = getattr(model, "optimizer", None)
    optimizer_params = int(sum(np.prod(v.shape) for v in optimizer.variables)) if optimizer is not None else 0
    summary = {"text": summary_text(fresh), "name": fresh.name, "layers": rows, "total": int(fresh.count_params()),
               "trainable": trainable, "non_trainable": int(fresh.count_params()) - trainable,
               "bytes": trainable * 4, "optimizer_params": optimizer_params}
    W1, b1, W2, b2 = (np.asarray(w, dtype=np.float32) for w in model.get_weights())
    return DenseNet(W1, b1, W2, b2, summary=summary)


def load_ready_model() -> keras.Model | None:
    """The Keras model trained by ``models/train_ready_model.py``, or None if missing (training process only)."""
    if not READY_MODEL.exists():
        return None
    return keras.models.load_model(READY_MODEL)


def warm() -> int:
    """Called in the training process when the MNIST page opens: TensorFlow is imported by now (~5 s)."""
    return os.getpid()


# ----------------------------------------------------------------------------- streaming a training


class LiveHistory(keras.callbacks.Callback):
    """Writes Keras's progress where a page can read it, and stops training when asked.

    Per-batch values are taken every ``every`` batches only: reading a batch's logs makes
    TensorFlow wait for that batch, so reading every one would slow training down. They are
    Keras's running averages over the epoch so far (what its progress bar prints).
    """

    def __init__(self, reporter: Reporter, every: int = 10):
        super().__init__()
        self.reporter = reporter
        self.progress = reporter.progress
        self.every = max(1, every)
        self._t0 = 0.0

    def on_train_begin(self, logs=None):
        self.progress.batches_per_epoch = int(self.params.get("steps") or 0)
        self.progress.stage = "training"
        self.reporter.write(force=True)

    def on_epoch_begin(self, epoch, logs=None):
        self.progress.batch = 0
        self._t0 = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.progress.batch = batch + 1
        if (batch + 1) % self.every == 0:
            if logs:
                self.progress.batch_loss = float(logs.get("loss", np.nan))
                self.progress.batch_accuracy = float(logs.get("accuracy", np.nan))
                at = self.progress.epoch + (batch + 1) / max(1, self.progress.batches_per_epoch)
                self.progress.batches.append([round(at, 4), self.progress.batch_loss, self.progress.batch_accuracy])
            self.reporter.write()
            if self.reporter.stop_requested:
                self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        for key in self.progress.history:
            if key in logs:
                self.progress.history[key].append(float(logs[key]))
        self.progress.epoch_seconds.append(time.perf_counter() - self._t0)
        self.progress.epoch = epoch + 1
        self.progress.batch = 0
        self.reporter.write(force=True)


def training_data(params: dict):
    """The images and labels a training uses: ``params["data"]`` is "train" (the 60,000 training images,
    or the first ``n_train``), "all" (the lesson's History experiment: training and test images
    concatenated, 70,000), or arrays given as ``x_train``/``y_train``."""
    if "x_train" in params:
        return params["x_train"], params["y_train"]
    (x_train, y_train), (x_test, y_test) = load_mnist()
    if params.get("data") == "all":
        return np.concatenate([x_train, x_test]), np.concatenate([y_train, y_test])
    n = params.get("n_train") or len(x_train)
    return x_train[:n], y_train[:n]


def train_in_worker(params: dict, workdir: str) -> dict:
    """Runs in the training process: train the lesson's network, save it in ``workdir`` as a ``DenseNet``.

    ``params``: epochs, batch_size, validation_split, seed; ``start`` is "fresh" (new random weights) or
    "ready" (continue from the ready model, as the lesson's History experiment continues its trained
    network); the data as in ``training_data``.
    """
    progress = JobProgress(epochs=params["epochs"], stage="loading MNIST and the network")
    reporter = Reporter(workdir, progress)
    reporter.write(force=True)
    x, y = training_data(params)
    model = build_model(params.get("seed", 0))
    if params.get("start") == "ready":
        ready = load_ready()
        if ready is None:
            raise FileNotFoundError("the ready model's weights (models/mnist_dense_weights.npz) are missing")
        model.set_weights(ready.weights())
    X, Y = preprocess(x, y)
    model.fit(X, Y, epochs=params["epochs"], batch_size=params["batch_size"],
              validation_split=params["validation_split"], verbose=0, callbacks=[LiveHistory(reporter)])
    progress.stage = "saving"
    reporter.write(force=True)
    path = Path(workdir) / "net.npz"
    export(model).save(path)
    return {"net_path": str(path), "peak_memory_mb": peak_memory_mb()}
