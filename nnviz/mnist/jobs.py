"""The trainings the MNIST page queues, described as plain data for ``nnviz.serving.jobs.QUEUE``.

Each names its target by module (``"nnviz.mnist.keras_model:train_in_worker"``): the training process
imports it there, so the server, which only builds these jobs and reads their results, never
imports TensorFlow.
"""

from __future__ import annotations

import numpy as np

from nnviz.mnist.dense_net import DenseNet
from nnviz.serving.jobs import Job, JobProgress

KERAS_TARGET = "nnviz.mnist.keras_model:train_in_worker"
TWIN_TARGET = "nnviz.mnist.twin:twin_in_worker"
#: The module the training process imports ahead of the first training (TensorFlow takes ~5 s).
WARM_MODULE = "nnviz.mnist.keras_model"
#: The lesson's History experiment (section 1.4): all 70,000 images, a third held out, 5 epochs,
#: continuing from the network trained before. Its ``fit`` call gives no batch size, so Keras's default
#: of 32 applies: ⌈46,900 / 32⌉ = 1,466 steps per epoch, the number its log prints.
HISTORY_EXPERIMENT = {"data": "all", "start": "ready", "validation_split": 0.33, "epochs": 5, "batch_size": 32}


def _load_net(outcome: dict) -> DenseNet:
    return DenseNet.load(outcome["net_path"])


def keras_job(*, epochs: int, batch_size: int, validation_split: float, seed: int = 0, n_train: int | None = None,
              x_train=None, y_train=None, data: str = "train", start: str = "fresh", label: str = "",
              owner: str = "", alive=None, client: str = "") -> Job:
    """A job that trains the lesson's Keras network; its result is the trained ``DenseNet``.

    ``data``: "train" (the training images, or the first ``n_train``) or "all" (training + test, 70,000);
    ``start``: "fresh" or "ready" (continue from the ready model's weights).
    """
    if data not in ("train", "all") or start not in ("fresh", "ready"):
        raise ValueError(f"data must be 'train' or 'all' and start 'fresh' or 'ready', got {data!r}, {start!r}")
    params = {"epochs": epochs, "batch_size": batch_size, "validation_split": validation_split, "seed": seed,
              "n_train": n_train, "data": data, "start": start}
    if x_train is not None:
        params.update(x_train=np.asarray(x_train), y_train=np.asarray(y_train))
    extra = {"alive": alive} if alive is not None else {}
    return Job(label or f"Keras, {epochs} epochs, batch {batch_size}", KERAS_TARGET, params, JobProgress(epochs=epochs),
               finish=_load_net, owner=owner, client=client, **extra)


def history_job(*, owner: str = "", alive=None, client: str = "") -> Job:
    """The lesson's History experiment as a job (see ``HISTORY_EXPERIMENT``)."""
    return keras_job(**HISTORY_EXPERIMENT, label="the lesson's History experiment", owner=owner, alive=alive,
                     client=client)


def twin_job(*, epochs: int, batch_size: int = 128, lr: float = 0.1, n_train: int = 10_000, seed: int = 0,
             arrays: tuple | None = None, owner: str = "", alive=None, client: str = "") -> Job:
    """A job running the NumPy twin (``nnviz.mnist.twin``); ``arrays``: x_train, y_train, x_test, y_test to use
    instead of MNIST from the cache."""
    params = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "n_train": n_train, "seed": seed}
    if arrays is not None:
        params.update(zip(("x_train", "y_train", "x_test", "y_test"), (np.asarray(a) for a in arrays), strict=True))
    extra = {"alive": alive} if alive is not None else {}
    return Job(f"NumPy twin, {epochs} epochs, batch {batch_size}, lr {lr:g}, {n_train:,} images", TWIN_TARGET,
               params, JobProgress(epochs=epochs), owner=owner, client=client, **extra)
