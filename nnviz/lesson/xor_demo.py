"""The front page's small network that learns XOR: the lesson's 2-4-1 network after a number of epochs, and what
its accuracy says — before training a random line already splits a few test points right, and a long run can
score lower on the test set than a shorter one while its training accuracy still climbs (overfitting)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.core.datasets import make_2d
from nnviz.core.network import ShallowNN
from nnviz.core.training import Trainer, epoch_column
from nnviz.lesson.diagnosis import COIN_FLIP_LOSS, diagnose, format_accuracy, format_loss

EPOCH_CHOICES = (0, 1, 2, 5, 10, 20, 50, 100, 200, 500)


@dataclass(frozen=True)
class XorRun:
    """The 2-4-1 network after ``epochs`` epochs: its weights, and its accuracy and loss on both sets."""

    epochs: int
    W1: np.ndarray
    W2: np.ndarray
    train_acc: float
    test_acc: float
    n_train: int
    n_test: int
    story: str  # what the numbers say, in a sentence or two (Markdown)


def xor_run(epochs: int) -> XorRun:
    """Train the lesson's 2-4-1 network (tanh, sigmoid output, weights 0.5·N(0, 1), seed 1) on 200 noisy XOR points
    (70 % train) for ``epochs`` epochs at learning rate 1, batch 20."""
    ds = make_2d("xor", n_samples=200, noise=0.1, seed=0)
    model = ShallowNN(2, 4, 1, init_scale=0.5, seed=1)
    trainer = Trainer(model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, lr=1.0, batch_size=20,
                      epochs=max(epochs, 1))
    if epochs:
        trainer.run()
    _, train_acc = trainer.evaluate("train", loss=False)
    test_loss, test_acc = trainer.evaluate("test")
    records = trainer.history.epochs
    return XorRun(epochs, model.params["W1"].copy(), model.params["W2"].copy(), train_acc, test_acc, ds.n_train,
                  ds.n_test, _story(epochs, train_acc, test_acc, test_loss, records, ds.n_train, ds.n_test))


def _story(epochs: int, train_acc: float, test_acc: float, test_loss: float, records, n_train: int,
           n_test: int) -> str:
    accuracy = (f"Test accuracy after {epochs} epoch{'s' if epochs != 1 else ''}: **{format_accuracy(test_acc)}** of "
                f"the {n_test} test points "
                f"(training points: {format_accuracy(train_acc)}).")
    if epochs == 0:
        return (f"Before any training the weights are random, and they already draw some line across the plane: "
                f"**{format_accuracy(test_acc)}** of the {n_test} test points fall on the right side of it — luck on a "
                f"small set (training points: {format_accuracy(train_acc)}). Move the slider and watch the weights "
                "grow as it learns.")
    if records and records[-1].train_loss > 0.9 * COIN_FLIP_LOSS:
        return (accuracy + f" Its loss, {format_loss(records[-1].train_loss)}, is still near a coin flip's "
                f"({COIN_FLIP_LOSS:.2f}): it has not found XOR's two lines yet.")
    verdict = diagnose(records, lr=1.0)
    if verdict.kind == "overfitting":
        tests = epoch_column(records, "test_loss")
        best = int(np.nanargmin(tests))
        return (accuracy + f" Lower on the test set than after fewer epochs, while the training accuracy still "
                f"climbs: the test loss was lowest at epoch {records[best].epoch} ({format_loss(tests[best])}) and is "
                f"now {format_loss(test_loss)}. The network fits its {n_train} training points' noise — overfitting "
                "(the lesson's 1.4; Shallow network names it while it happens).")
    return accuracy + " Move the slider and watch the weights grow as it learns."
