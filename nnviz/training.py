"""``Trainer``: advances a training run by a number of steps or a time budget.

Training is a stream the UI pulls: ``run`` trains for a while and returns a
``Progress`` (the batch losses of the steps it took and a record per finished
epoch); the caller draws it. Nothing here knows about a screen, and a run can be
paused after any step and resumed later — even in another process, since a
``Trainer`` pickles without its data (see ``attach``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from nnviz.losses import DIVERGENCE_LOSS
from nnviz.network import ShallowNN, labels_to_Y, with_ones_column
from nnviz.validation import check_array, check_int, check_learning_rate


@dataclass(frozen=True)
class EpochRecord:
    """What one finished epoch looked like.

    ``train_loss`` is the mean loss over the epoch's batches (what Keras and
    scikit-learn report); accuracies and the test loss are measured on the whole
    sets with the weights at the end of the epoch.
    """

    epoch: int  # epochs finished, 1-based
    step: int  # steps taken since the start of the run
    train_loss: float
    train_acc: float | None
    test_loss: float | None
    test_acc: float | None
    steps_per_s: float
    last_batch_loss: float | None = None  # what the lesson's fit printed as "loss": its last batch's only


@dataclass(frozen=True)
class Stop:
    """Why a run ended: ``kind`` is "finished" (the epoch budget is spent) or "diverged"."""

    kind: str
    message: str
    epoch: int
    step: int


@dataclass
class Progress:
    """What one call of ``Trainer.run`` produced."""

    steps: np.ndarray  # global step number of each batch loss, 1-based
    batch_losses: np.ndarray
    epochs: list[EpochRecord]
    n_steps: int
    seconds: float
    stop: Stop | None = None

    @property
    def steps_per_s(self) -> float:
        return self.n_steps / self.seconds if self.seconds > 0 else 0.0


@dataclass
class History:
    """Everything recorded in a run, bounded in memory.

    Batch losses are kept at most ``max_points`` at a time: when full, the stride
    doubles and only steps that are multiples of it stay, so a run of a million
    steps still draws as an evenly sampled trace.
    """

    max_points: int = 20_000
    epochs: list[EpochRecord] = field(default_factory=list)
    stride: int = 1
    _steps: list = field(default_factory=list)
    _losses: list = field(default_factory=list)
    n_steps: int = 0
    seconds: float = 0.0

    def extend(self, progress: Progress):
        keep = progress.steps % self.stride == 0
        self._steps.extend(progress.steps[keep].tolist())
        self._losses.extend(progress.batch_losses[keep].tolist())
        while len(self._steps) >= self.max_points:
            self.stride *= 2
            kept = [(s, v) for s, v in zip(self._steps, self._losses, strict=True) if s % self.stride == 0]
            self._steps = [s for s, _ in kept]
            self._losses = [v for _, v in kept]
        self.epochs.extend(progress.epochs)
        self.n_steps += progress.n_steps
        self.seconds += progress.seconds

    def truncate(self, step: int):
        """Forget everything after global step ``step``: the record as it was when the run stood there."""
        keep = [k for k, s in enumerate(self._steps) if s <= step]
        self._steps = [self._steps[k] for k in keep]
        self._losses = [self._losses[k] for k in keep]
        self.epochs = [r for r in self.epochs if r.step <= step]
        self.n_steps = min(self.n_steps, step)

    @property
    def batch_steps(self) -> np.ndarray:
        return np.asarray(self._steps, dtype=np.int64)

    @property
    def batch_losses(self) -> np.ndarray:
        return np.asarray(self._losses, dtype=float)


def epoch_column(records, name: str) -> np.ndarray:
    """One field of a sequence of ``EpochRecord`` as a float array (``None`` becomes NaN)."""
    return np.array([np.nan if getattr(r, name) is None else getattr(r, name) for r in records], dtype=float)


class Trainer:
    """Mini-batch gradient descent on a ``ShallowNN``, one step at a time.

    Parameters
    ----------
    model : ShallowNN
    X_train : ndarray of shape (m, n_input)
        One sample per row (the lesson's layout for data); stored transposed,
        column-contiguous, so that each batch is a view.
    y_train : ndarray of shape (m,)
        Class labels.
    X_test, y_test : optional
        Evaluated after every epoch.
    lr : float
        Learning rate, > 0.
    batch_size : int
        Samples per step; capped at the number of training samples.
    epochs : int
        The run's budget.
    shuffle : bool
        A new order of the training samples each epoch (drawn from ``seed``).
    seed : int or None
        Seed of the shuffling order.
    evaluate : bool
        Measure accuracy (and the test loss) on the whole sets after every epoch;
        ``fit`` turns this off, as the lesson's loop measures nothing.
    """

    def __init__(self, model: ShallowNN, X_train, y_train, X_test=None, y_test=None, *,
                 lr, batch_size, epochs, shuffle=False, seed=None, evaluate=True):
        if not isinstance(model, ShallowNN):
            raise ValueError(f"model must be a ShallowNN, got {type(model).__name__}")
        self.model = model
        self.lr = check_learning_rate(lr)
        self.batch_size = check_int("batch size", batch_size)
        self.epochs = check_int("epochs", epochs, maximum=1_000_000)
        self.shuffle = bool(shuffle)
        self.evaluate_epochs = bool(evaluate)
        self.rng = np.random.default_rng(seed)
        self.epoch = 0  # finished epochs
        self.step = 0  # steps taken
        self.stop: Stop | None = None
        #: What the runs recorded; None when someone else keeps it: a trainer shipped to a worker (its owner,
        #: e.g. a ``runner.Run``, records the progress each slice returns) records nothing.
        self.history: History | None = History()
        self._batch = 0  # batches done in the current epoch
        self._epoch_loss = 0.0  # Σ loss·batch size in the current epoch
        self._order = None  # this epoch's permutation when shuffling
        self.attach(X_train, y_train, X_test, y_test)

    # ----------------------------------------------------------------- data

    def attach(self, X_train, y_train, X_test=None, y_test=None):
        """Give the trainer its data (checked: shapes, labels, no NaN/inf)."""
        n_input, n_output = self.model.n_input, self.model.n_output
        X_train = check_array("X_train", X_train, ndim=2)
        if X_train.shape[1] != n_input:
            raise ValueError(f"X_train must have {n_input} features per row, got shape {X_train.shape}")
        # Rows plus a column of ones (the bias trick): each batch is one contiguous block.
        self._X1 = with_ones_column(X_train)
        self._YT = labels_to_Y(y_train, n_output, X_train.shape[0], "y_train")
        self.m = X_train.shape[0]
        self.batch_size = min(self.batch_size, self.m)
        self.has_test = X_test is not None and y_test is not None
        if self.has_test:
            X_test = check_array("X_test", X_test, ndim=2)
            if X_test.shape[1] != n_input:
                raise ValueError(f"X_test must have {n_input} features per row, got shape {X_test.shape}")
            self._X1_test = with_ones_column(X_test)
            self._YT_test = labels_to_Y(y_test, n_output, X_test.shape[0], "y_test")
        self._arrange_epoch()

    def _arrange_epoch(self):
        """This epoch's batches, as (X1, Y) views of the (possibly shuffled) data."""
        X1, YT = self._X1, self._YT
        if self.shuffle:
            if self._order is None:
                self._order = self.rng.permutation(self.m)
            X1 = X1[self._order]
            YT = np.ascontiguousarray(YT[:, self._order])
        bs, m = self.batch_size, self.m
        self._batches = [(X1[i : i + bs], YT[:, i : i + bs]) for i in range(0, m, bs)]

    # ----------------------------------------------------------------- running

    @property
    def steps_per_epoch(self) -> int:
        return len(self._batches)

    @property
    def done(self) -> bool:
        return self.stop is not None

    def run(self, steps: int | None = None, seconds: float | None = None, epochs: int | None = None) -> Progress:
        """Train until the budget is spent, ``steps`` steps are taken, ``seconds`` have passed, or
        ``epochs`` epochs have finished — whichever comes first. Returns what happened."""
        t0 = time.perf_counter()
        deadline = t0 + seconds if seconds is not None else math.inf
        max_steps = steps if steps is not None else math.inf
        end_epoch = self.epoch + epochs if epochs is not None else math.inf
        train_step, lr, clock, limit = self.model.train_step, self.lr, time.perf_counter, DIVERGENCE_LOSS
        losses, records = [], []
        first_step = self.step + 1
        taken = 0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            while self.stop is None and taken < max_steps and self.epoch < end_epoch:
                batches = self._batches
                i = self._batch
                n_batches = len(batches)
                epoch_loss = self._epoch_loss
                diverged = timed_out = False
                while i < n_batches and taken < max_steps:
                    X1, Y = batches[i]
                    loss = train_step(X1, Y, lr)
                    losses.append(loss)
                    taken += 1
                    i += 1
                    if not loss < limit:  # also true for NaN
                        diverged = True
                        break
                    epoch_loss += loss * X1.shape[0]
                    if clock() >= deadline:
                        timed_out = True
                        break
                self.step += i - self._batch
                self._batch, self._epoch_loss = i, epoch_loss
                if diverged:
                    self.stop = self._diverged(loss)
                elif i == n_batches:
                    records.append(self._finish_epoch(t0, taken, loss))
                if timed_out:
                    break
        seconds = time.perf_counter() - t0
        progress = Progress(
            steps=np.arange(first_step, first_step + len(losses)),
            batch_losses=np.asarray(losses, dtype=float),
            epochs=records,
            n_steps=taken,
            seconds=seconds,
            stop=self.stop,
        )
        if self.history is not None:
            self.history.extend(progress)
        return progress

    def run_epoch(self) -> Progress:
        """Train to the end of the current epoch (a whole epoch when at a boundary)."""
        return self.run(epochs=1)

    def evaluate(self, which: str = "test", loss: bool = True) -> tuple[float | None, float]:
        """(loss, accuracy) on the whole training or test set with the current weights.

        ``loss=False`` skips the loss (``None`` in its place) when only the accuracy is needed.
        """
        X1, Y = (self._X1, self._YT) if which == "train" else (self._X1_test, self._YT_test)
        Z2 = self.model.logits(X1)
        value = self.model.loss_from_logits(Y, Z2) if loss else None
        if self.model.n_output == 1:
            correct = np.count_nonzero((Z2 > 0) == (Y > 0.5))  # σ(z) > 0.5 exactly when z > 0
        else:
            correct = np.count_nonzero(np.argmax(Z2, axis=0) == np.argmax(Y, axis=0))
        return value, float(correct / Y.shape[1])

    def _finish_epoch(self, t0: float, taken: int, last_loss: float) -> EpochRecord:
        self.epoch += 1
        train_loss = self._epoch_loss / self.m
        train_acc = test_loss = test_acc = None
        if self.evaluate_epochs:
            _, train_acc = self.evaluate("train", loss=False)
            if self.has_test:
                test_loss, test_acc = self.evaluate("test")
        elapsed = time.perf_counter() - t0
        record = EpochRecord(
            epoch=self.epoch, step=self.step, train_loss=train_loss, train_acc=train_acc,
            test_loss=test_loss, test_acc=test_acc,
            steps_per_s=taken / elapsed if elapsed > 0 else 0.0, last_batch_loss=float(last_loss),
        )
        self._batch = 0
        self._epoch_loss = 0.0
        if self.shuffle:
            self._order = None
            self._arrange_epoch()
        if self.epoch >= self.epochs:
            self.stop = Stop("finished", f"finished {self.epochs} epochs", self.epoch, self.step)
        return record

    def _diverged(self, loss: float) -> Stop:
        what = "became NaN" if math.isnan(loss) else "became infinite" if math.isinf(loss) else f"reached {loss:.3g}"
        epoch = self.epoch + (0 if self._batch == 0 else 1)
        message = (
            f"loss {what} at epoch {epoch}, step {self._batch or self.steps_per_epoch} — "
            f"the learning rate {self.lr:g} is too high: each step overshot, and the weights grew without bound. "
            f"Reset and try a learning rate of {self.lr / 10:g} or lower."
        )
        return Stop("diverged", message, epoch, self.step)

    # ----------------------------------------------------------------- pickling

    def __getstate__(self):
        # Data and history stay with the owner; a worker re-attaches the data it holds and records no history.
        state = self.__dict__.copy()
        for key in ("_X1", "_YT", "_X1_test", "_YT_test", "_batches", "history"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.history = None
