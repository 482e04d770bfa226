"""The NumPy twin of the MNIST page: the lesson's 784-512-10 architecture trained with nnviz's own
``ShallowNN`` (ReLU hidden layer, softmax output, plain mini-batch gradient descent), beside Keras.

``twin_in_worker`` runs in the training process of ``nnviz.serving.jobs``; its history uses Keras's keys,
with the test set as ``val_*``, so that a page draws both the same way.
"""

from __future__ import annotations

import time

import numpy as np

from nnviz.core.network import ShallowNN
from nnviz.core.training import Trainer
from nnviz.mnist.data import load_mnist
from nnviz.serving.jobs import JobProgress, Reporter, peak_memory_mb


def twin_in_worker(params: dict, workdir: str) -> dict:
    """Train the twin on the first ``n_train`` training images, evaluated on the test set after every epoch.

    Float64 NumPy on all 60,000 images would hold about 1.5 GB of activations for the per-epoch
    evaluation, so the twin trains on a subset.
    """
    progress = JobProgress(epochs=params["epochs"], stage="loading MNIST")
    reporter = Reporter(workdir, progress)
    reporter.write(force=True)
    if "x_train" in params:
        x_train, y_train, x_test, y_test = (params[k] for k in ("x_train", "y_train", "x_test", "y_test"))
    else:
        (x_train, y_train), (x_test, y_test) = load_mnist()
    n = params["n_train"]
    X = np.asarray(x_train[:n], dtype=np.float64).reshape(-1, 784) / 255.0
    Xt = np.asarray(x_test, dtype=np.float64).reshape(-1, 784) / 255.0
    seed = params.get("seed", 0)
    model = ShallowNN(784, 512, 10, activation="relu", init_scale="glorot", seed=seed)
    trainer = Trainer(model, X, y_train[:n], Xt, y_test, lr=params["lr"], batch_size=params["batch_size"],
                      epochs=params["epochs"], shuffle=True, seed=seed)
    progress.batches_per_epoch, progress.stage = trainer.steps_per_epoch, "training"
    t0 = time.perf_counter()
    while not trainer.done and not reporter.stop_requested:
        p = trainer.run(steps=10)  # short slices: Stop takes effect at once, progress shows
        progress.epoch = trainer.epoch
        progress.batch = trainer.step - trainer.epoch * trainer.steps_per_epoch
        if p.batch_losses.size:
            progress.batch_loss = float(p.batch_losses[-1])
            progress.batches.append([round(trainer.step / trainer.steps_per_epoch, 4), progress.batch_loss, None])
        for r in p.epochs:
            for key, value in (("loss", r.train_loss), ("accuracy", r.train_acc), ("val_loss", r.test_loss),
                               ("val_accuracy", r.test_acc)):
                progress.history[key].append(value)
            progress.epoch_seconds.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
        reporter.write(force=bool(p.epochs))
    reporter.write(force=True)
    return {"peak_memory_mb": peak_memory_mb(), "history": progress.history}
