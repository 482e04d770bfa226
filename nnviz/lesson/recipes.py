"""The lesson's own 20-feature run (section 1.3.9), as the Shallow network page replays it: its settings,
its reported result, what we measured of it over many seeds, and its loss log as its ``fit`` printed it.

The lesson trains hidden 10, batch 100, 500 epochs, weights 0.01 · N(0, 1), no shuffling, on its
``make_classification`` set, and reports 93.6 % test accuracy. Its text calls ``fit(..., lr=0.01)``,
but its ``update_weights`` never multiplies by ``lr``: every step is ``W -= dW``, an effective learning
rate of 1. ``LESSON_RUN`` is what its code did; ``TEXT_MEANT_RUN`` is what its text asked for.

Run ``python -m nnviz.lesson.recipes`` to measure the reference numbers again (``measure``); the results
stored below came from that command.
"""

from __future__ import annotations

import statistics
import sys
from dataclasses import dataclass, replace

import numpy as np

from nnviz.core.datasets import LESSON, lesson_data
from nnviz.core.network import ShallowNN
from nnviz.core.settings import TrainerSettings

#: The lesson's run as its code ran it (effective learning rate 1).
LESSON_RUN = TrainerSettings(dataset=LESSON, hidden=10, activation="tanh", lr=1.0, batch_size=100, epochs=500,
                             init="lesson", shuffle=False, standardize=False)
#: The same run with the learning rate its text passes to ``fit`` (0.01), which its code ignored.
TEXT_MEANT_RUN = replace(LESSON_RUN, lr=0.01)

#: The test accuracy the lesson printed at the end of its run.
LESSON_ACCURACY = 0.936

#: The lesson's printed loss of an untrained "network": 10 random labels against 10 uniform random
#: predictions, drawn from NumPy's unseeded global generator, so no recipe reproduces the exact number.
LESSON_UNTRAINED_LOSS = 0.9218759801436196


@dataclass(frozen=True)
class Measured:
    """Test accuracies of one recipe over several seeds (the seed sets the initial weights)."""

    lr: float
    seeds: tuple[int, ...]
    accuracies: tuple[float, ...]

    @property
    def mean(self) -> float:
        return statistics.fmean(self.accuracies)

    @property
    def sd(self) -> float:
        """Standard deviation of one run's accuracy (sample, n − 1)."""
        return statistics.stdev(self.accuracies) if len(self.accuracies) > 1 else 0.0

    def describe(self) -> str:
        return (f"{self.mean * 100:.1f} % ± {self.sd * 100:.1f} (mean ± sd of one run over {len(self.seeds)} seeds, "
                f"{min(self.accuracies) * 100:.1f}–{max(self.accuracies) * 100:.1f} %)")


def measure(settings: TrainerSettings, seeds) -> Measured:
    """Train ``settings`` once per seed with the project's ``Trainer`` on the lesson's data and collect
    the final test accuracies — how the numbers below were made."""
    ds = lesson_data()
    accuracies = []
    for seed in seeds:
        trainer = replace(settings, seed=seed).new_trainer(ds)
        trainer.run()
        record = trainer.history.epochs[-1]
        accuracies.append(float(record.test_acc))
    return Measured(settings.lr, tuple(seeds), tuple(accuracies))


# Measured with `python -m nnviz.lesson.recipes` (seeds 0–19, nnviz's Trainer, numpy 2.4, a 2-core x86-64 machine):
# learning rate 1 reached 93.5 % ± 0.7 (92.1–94.9 %), learning rate 0.01 reached 95.5 % ± 0.5 (94.7–96.5 %).
# The run at learning rate 1 is chaotic: another CPU's rounding moves a single seed by about a point,
# so these are a distribution to compare with, never an exact target.
MEASURED_LESSON_RUN = Measured(1.0, tuple(range(20)), (
    0.933, 0.932, 0.949, 0.940, 0.940, 0.937, 0.933, 0.934, 0.933, 0.947,
    0.947, 0.939, 0.931, 0.943, 0.921, 0.929, 0.933, 0.926, 0.927, 0.930,
))
MEASURED_TEXT_MEANT = Measured(0.01, tuple(range(20)), (
    0.950, 0.960, 0.954, 0.952, 0.954, 0.956, 0.953, 0.959, 0.947, 0.955,
    0.960, 0.949, 0.948, 0.954, 0.956, 0.965, 0.961, 0.953, 0.954, 0.955,
))


@dataclass(frozen=True)
class Recipe:
    """One of the lesson's two recipes as the Shallow network page offers it: a button, what it sets, what we
    measured of it, and the sentence that says what it is."""

    key: str
    title: str  # the button's label
    settings: TrainerSettings
    measured: Measured
    about: str  # what the recipe is, one or two sentences (Markdown)

    def matches(self, settings: TrainerSettings) -> bool:
        """Whether ``settings`` train this recipe (any seed: the measurement is over seeds)."""
        return replace(settings, seed=0).run_key() == replace(self.settings, seed=0).run_key()

    @property
    def band_label(self) -> str:
        return f"{len(self.measured.seeds)} seeds: {self.measured.mean * 100:.1f} % ± {self.measured.sd * 100:.1f}"


RECIPES = (
    Recipe("lesson", "The lesson's run", LESSON_RUN, MEASURED_LESSON_RUN,
           "**The lesson's run.** Its text calls `fit(..., lr=0.01)`, but its `update_weights` never multiplies by "
           f"`lr` (every step is `W -= dW`): it trained with learning rate **1**. Its printed "
           f"{LESSON_ACCURACY * 100:.1f} % is one draw — over 20 seeds this recipe reaches "
           f"{MEASURED_LESSON_RUN.mean * 100:.1f} % ± {MEASURED_LESSON_RUN.sd * 100:.1f}."),
    Recipe("text", "What the text meant", TEXT_MEANT_RUN, MEASURED_TEXT_MEANT,
           "**What the lesson's text meant**: learning rate 0.01 really applied — steps 100× smaller than its code "
           f"took. Over 20 seeds this recipe reaches {MEASURED_TEXT_MEANT.mean * 100:.1f} % ± "
           f"{MEASURED_TEXT_MEANT.sd * 100:.1f}."),
)


def recipe_for(settings: TrainerSettings) -> Recipe | None:
    """The lesson's recipe that ``settings`` train, if any."""
    return next((r for r in RECIPES if r.matches(settings)), None)


def loss_log(records, which: str = "last batch", every: int = 10) -> list[str]:
    """The lesson's training log: ``iteration i: loss …`` after epochs i = 0, 10, 20, … (0-based, as its
    ``fit`` counted), from a run's ``EpochRecord`` list.

    ``which`` is "last batch" (what the lesson printed: the loss of the epoch's last batch only) or
    "epoch mean" (the mean over the epoch's batches, which is what the chart shows)."""
    if which not in ("last batch", "epoch mean"):
        raise ValueError(f"which must be 'last batch' or 'epoch mean', got {which!r}")
    lines = []
    for r in records:
        if (r.epoch - 1) % every:
            continue
        value = r.last_batch_loss if which == "last batch" else r.train_loss
        if value is None:
            continue
        lines.append(f"iteration {r.epoch - 1}: loss {value}")
    return lines


# ----------------------------------------------------------------------------- the lesson's steps 1.3.4–1.3.9

#: 1.3.4 as the lesson calls it.
DATASET_CALL = ("X, y = datasets.make_classification(\n    n_samples=5000, n_features=20,\n"
                "    n_informative=20, n_redundant=0,\n    random_state=123)\n"
                "X_train, X_test = X[:4000], X[4000:]\ny_train, y_test = y[:4000], y[4000:]")
#: What the lesson printed of ``X[0]`` (our copy of its text shows 19 of the 20 numbers) and ``y[0:20]``.
LESSON_X0 = (-0.28726786, 4.48392645, -0.19663023, 0.52875293, -1.44603544, 3.33013291, -0.49828395, -1.38991547,
             3.86964059, 0.0259337, 1.41931003, -0.26677859, 3.21847861, -0.67232203, -2.7307319, -0.85791875,
             0.0631985, -0.39872069, -3.49423158)
LESSON_Y20 = (0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1)


@dataclass(frozen=True)
class DatasetCheck:
    """The lesson's data as this app makes it, beside what the lesson printed."""

    train_shape: tuple[int, int]
    test_shape: tuple[int, int]
    x0: np.ndarray  # our X[0], all 20 features
    y20: np.ndarray
    x0_matches: bool  # every number the lesson printed of X[0] is ours, in order (to its 8 digits)
    y20_matches: bool


def dataset_check() -> DatasetCheck:
    """1.3.4: the recipe's shapes, ``X[0]`` and ``y[0:20]``, compared with the lesson's printout."""
    ds = lesson_data()
    x0 = ds.X_train[0]
    it = iter(np.round(x0, 8))
    x0_matches = all(any(abs(v - w) < 5e-9 for w in it) for v in LESSON_X0)  # a subsequence, in order
    y20 = ds.y_train[:20]
    return DatasetCheck(ds.X_train.shape, ds.X_test.shape, x0, y20, x0_matches, tuple(y20.tolist()) == LESSON_Y20)


def untrained_losses(draws: int = 2000, seed: int = 0) -> np.ndarray:
    """1.3.7: the lesson's check of its loss, repeated ``draws`` times — 10 random labels against 10 uniform random
    predictions, the cross-entropy of each draw. The lesson drew once, from NumPy's unseeded generator, and printed
    ``LESSON_UNTRAINED_LOSS``: no seed reproduces that draw, so the page shows where it falls among these."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, (draws, 10))
    p = rng.uniform(0, 1, (draws, 10))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p), axis=1)


@dataclass(frozen=True)
class BatchLoader:
    """1.3.9 with a batch size that does not divide the training set: the lesson's batches and what its code does
    with them, and this app's batches."""

    n: int
    batch_size: int
    lesson_last: range  # the lesson's last batch of indices
    lesson_error: str  # what NumPy says when the lesson's loop takes it ("" when the size divides n)
    ours: list  # this app's batches, as slices
    sizes: list[int]  # the samples in each of ours


def batch_loader(n: int = 4000, batch_size: int = 300) -> BatchLoader:
    """The lesson's ``get_batch_indices`` (``range(i, i + batch_size)`` from every multiple of the batch size) beside
    ``ShallowNN.get_batch_indices`` on ``n`` samples; the lesson's last batch is taken as its ``fit`` takes it."""
    lesson_batches = [range(i, i + batch_size) for i in range(0, n, batch_size)]  # the lesson's line, as written
    error = ""
    try:
        np.zeros((n, 1))[lesson_batches[-1], :]  # its fit: X = X_train[ind, :].T
    except IndexError as err:
        error = f"IndexError: {err}"
    ours = ShallowNN(1, 1).get_batch_indices(np.zeros((n, 1)), batch_size)
    return BatchLoader(n, batch_size, lesson_batches[-1], error, ours, [s.stop - s.start for s in ours])


def main(seeds=range(20)):
    for settings in (LESSON_RUN, TEXT_MEANT_RUN):
        m = measure(settings, seeds)
        print(f"lr {settings.lr:g}: {m.describe()}")
        print("  accuracies:", ", ".join(f"{a:.3f}" for a in m.accuracies))


if __name__ == "__main__":
    main(range(int(sys.argv[1])) if len(sys.argv) > 1 else range(20))
