"""The lesson's Keras network for MNIST (lesson 1.4) — the only module that imports TensorFlow.

Dense(512, relu, input 784) → Dense(10, softmax), compiled with rmsprop, categorical
cross-entropy and accuracy: 401,920 + 5,130 = 407,050 parameters. Also: the preprocessing
(reshape to 784, float32 / 255, one-hot labels), a callback that streams progress to a page,
and the job that trains a fresh copy in ``nnviz.jobs``' queue (one training at a time per server).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # keep TensorFlow's start-up chatter out of the logs

import keras  # noqa: E402
import numpy as np  # noqa: E402

from nnviz.jobs import Job, Progress, Reporter, peak_memory_mb  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
READY_MODEL = ROOT / "models" / "mnist_dense.keras"
READY_HISTORY = ROOT / "models" / "mnist_dense_history.json"


def build_model(seed: int | None = 0) -> keras.Model:
    """The lesson's network, compiled as the lesson compiles it."""
    if seed is not None:
        keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(784,), name="pixels"),
        keras.layers.Dense(512, activation="relu", name="hidden"),
        keras.layers.Dense(10, activation="softmax", name="digit"),
    ], name="lesson_mnist")
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def preprocess(x, y=None):
    """Images (n, 28, 28) uint8 → (n, 784) float32 in [0, 1]; labels (n,) → one-hot (n, 10) float32."""
    X = np.asarray(x).reshape(-1, 784).astype("float32") / 255.0
    if y is None:
        return X
    return X, keras.utils.to_categorical(np.asarray(y), 10).astype("float32")


def summary_rows(model: keras.Model) -> list[dict]:
    """The summary table: one row per layer, then the total."""
    rows = []
    for layer in model.layers:
        shape = tuple(layer.output.shape) if hasattr(layer, "output") else ()
        rows.append({"layer": layer.name, "type": type(layer).__name__, "output shape": str(shape),
                     "parameters": int(layer.count_params())})
    rows.append({"layer": "total", "type": "", "output shape": "", "parameters": int(model.count_params())})
    return rows


def weight_shapes(model: keras.Model) -> list[tuple[int, ...]]:
    """The shapes of the weight arrays: [(784, 512), (512,), (512, 10), (10,)]."""
    return [tuple(w.shape) for w in model.get_weights()]


def predict(model: keras.Model, images) -> np.ndarray:
    """Class probabilities, shape (n, 10), for uint8 images of shape (n, 28, 28) (or one (28, 28) image).

    Calls the model directly: ``model.predict`` costs tens of milliseconds of set-up for one image.
    """
    X = preprocess(np.asarray(images).reshape(-1, 28, 28))
    return np.asarray(model(X, training=False))


def load_ready_model() -> keras.Model | None:
    """The model trained by ``models/train_ready_model.py`` with the lesson's recipe, or None if missing."""
    if not READY_MODEL.exists():
        return None
    return keras.models.load_model(READY_MODEL)


# ----------------------------------------------------------------------------- streaming a training


class LiveHistory(keras.callbacks.Callback):
    """Writes Keras's progress where a page can read it, and stops training when asked.

    Per-batch values are taken every ``every`` batches only: reading a batch's logs makes
    TensorFlow wait for that batch, so reading every one would slow training down.
    """

    def __init__(self, reporter: Reporter, every: int = 10):
        super().__init__()
        self.reporter = reporter
        self.progress = reporter.progress
        self.every = max(1, every)
        self._t0 = 0.0

    def on_train_begin(self, logs=None):
        self.progress.batches_per_epoch = int(self.params.get("steps") or 0)
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


def train_in_worker(params: dict, workdir: str) -> dict:
    """Runs in the training process: train a fresh copy of the lesson's network, save it in ``workdir``.

    ``params``: epochs, batch_size, validation_split, seed, and either ``n_train`` (the first n images
    of MNIST, loaded here from the cache) or ``x_train``/``y_train`` arrays.
    """
    from nnviz.mnist import load_mnist

    if "x_train" in params:
        x_train, y_train = params["x_train"], params["y_train"]
    else:
        (x_train, y_train), _ = load_mnist()
        n = params.get("n_train") or len(x_train)
        x_train, y_train = x_train[:n], y_train[:n]
    progress = Progress(epochs=params["epochs"])
    reporter = Reporter(workdir, progress)
    model = build_model(params.get("seed", 0))
    X, Y = preprocess(x_train, y_train)
    model.fit(X, Y, epochs=params["epochs"], batch_size=params["batch_size"],
              validation_split=params["validation_split"], verbose=0, callbacks=[LiveHistory(reporter)])
    path = Path(workdir) / "model.keras"
    model.save(path)
    return {"model_path": str(path), "peak_memory_mb": peak_memory_mb()}


def keras_job(*, epochs: int, batch_size: int, validation_split: float, seed: int = 0, n_train: int | None = None,
              x_train=None, y_train=None, label: str = "") -> Job:
    """A job for ``nnviz.jobs.QUEUE`` that trains the lesson's network; its result is the trained model."""
    params = {"epochs": epochs, "batch_size": batch_size, "validation_split": validation_split, "seed": seed,
              "n_train": n_train}
    if x_train is not None:
        params.update(x_train=np.asarray(x_train), y_train=np.asarray(y_train))
    return Job(label or f"Keras, {epochs} epochs, batch {batch_size}", train_in_worker, params,
               Progress(epochs=epochs), finish=lambda outcome: keras.models.load_model(outcome["model_path"]))
