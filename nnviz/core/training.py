"""``Trainer``: advances a training run by a number of steps or a time budget.

Training is a stream the UI pulls: ``run`` trains for a while and returns a
``Progress`` (the batch losses of the steps it took and a record per finished
epoch); the caller draws it. Nothing here knows about a screen, and a run can be
paused after any step and resumed later — even in another process, since a
``Trainer`` pickles without its data (see ``attach``).

The learning rate, the regularization and the optimizer can change between any two steps without restarting
the run (``set_lr``, ``set_regularization``, ``set_optimizer``). Each change is recorded in ``schedule`` as a
``Change`` (at which step, what, old and new value); a trainer made with the same settings and
``schedule=…`` replays the changes at the same steps, so a run with changes is reproducible from its settings
plus its schedule.

Regression runs report R² (``EpochRecord.train_r2``, ``test_r2``) instead of accuracy; their loss is
½·MSE, so the RMSE is √(2·(loss − penalty)) (``EpochRecord.train_rmse``, ``test_rmse``).
"""

from __future__ import annotations

import copy
import math
import numbers
import re
import time
from dataclasses import dataclass, field

import numpy as np

from nnviz.core.deep_network import DeepNN, r2_score, with_ones_column
from nnviz.core.optimizers import OPTIMIZERS
from nnviz.core.regularization import check_reg_rate, get_regularization
from nnviz.core.validation import check_array, check_int, check_learning_rate


def steps_per_epoch(n_samples: int, batch_size: int) -> int:
    """Iterations in one epoch: ⌈samples / batch size⌉ (the last batch may be smaller): 60,000 / 128 → 469."""
    if n_samples < 1 or batch_size < 1:
        raise ValueError(f"samples and batch size must be ≥ 1, got {n_samples!r} and {batch_size!r}")
    return math.ceil(n_samples / batch_size)


@dataclass(frozen=True)
class EpochRecord:
    """What one finished epoch looked like.

    ``train_loss`` is the mean loss over the epoch's batches (what Keras and
    scikit-learn report); accuracies and the test loss are measured on the whole
    sets with the weights at the end of the epoch.

    With regularization both losses include the penalty, as the objective a step minimises does (and as
    Keras reports them): ``train_loss`` the mean of each step's penalty, ``train_penalty``; ``test_loss`` the
    penalty at the end of the epoch, ``penalty``. Without regularization both are None. A regression has
    no accuracy (None) but R² (``train_r2``, ``test_r2``; None for classification, and when a set's targets
    do not vary); its loss is ½·MSE, so ``train_rmse`` and ``test_rmse`` are √(2·(loss − penalty)).
    """

    epoch: int  # epochs finished, 1-based
    step: int  # steps taken since the start of the run
    train_loss: float
    train_acc: float | None
    test_loss: float | None
    test_acc: float | None
    steps_per_s: float
    last_batch_loss: float | None = None  # what the lesson's fit printed as "loss": its last batch's only
    train_r2: float | None = None  # regression: R² on the whole training set (when evaluated)
    test_r2: float | None = None
    penalty: float | None = None  # λ·Σ R(W) at the end of the epoch (included in test_loss); None: no penalty
    train_penalty: float | None = None  # the mean penalty over the epoch's steps (included in train_loss)

    @property
    def train_score(self) -> float | None:
        """What the second chart draws: the training accuracy, or a regression's R²."""
        return self.train_acc if self.train_r2 is None else self.train_r2

    @property
    def test_score(self) -> float | None:
        return self.test_acc if self.test_r2 is None else self.test_r2

    @property
    def train_rmse(self) -> float:
        """Regression: the root mean squared error over the epoch's batches, from ``train_loss``."""
        return math.sqrt(max(2.0 * (self.train_loss - (self.train_penalty or 0.0)), 0.0))

    @property
    def test_rmse(self) -> float | None:
        """Regression: the root mean squared error on the test set, from ``test_loss``."""
        if self.test_loss is None:
            return None
        return math.sqrt(max(2.0 * (self.test_loss - (self.penalty or 0.0)), 0.0))


#: What a ``Change`` can change, and how its value is checked — and one parameter, edited by hand: "W2.0.3" is
#: W[2] row 0, column 3 (indices from 0; "b1.2.0" a bias), its value a finite number (``weight_parts``).
CHANGEABLE = ("lr", "regularization", "reg_rate", "optimizer")
_WEIGHT = re.compile(r"([Wb])([1-9]\d?)\.(\d{1,3})\.(\d{1,3})")
MAX_EDITED_WEIGHT = 100.0  # a weight set by hand: beyond this, every unit it feeds saturates anyway
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def weight_parts(what: str) -> tuple[str, int, int] | None:
    """("W2", 0, 3) for "W2.0.3": a parameter's name and entry, or None when ``what`` names no parameter."""
    m = _WEIGHT.fullmatch(what) if isinstance(what, str) else None
    return (m.group(1) + m.group(2), int(m.group(3)), int(m.group(4))) if m else None


def weight_key(param: str, i: int, j: int) -> str:
    """The ``Change.what`` of one parameter entry: ``weight_key("W2", 0, 3)`` → "W2.0.3"."""
    return f"{param}.{i}.{j}"


@dataclass(frozen=True)
class Change:
    """One change of a setting during a run: from step ``step + 1`` on (after ``step`` steps, ``epoch``
    epochs finished), ``what`` went from ``old`` to ``new``.

    ``what`` is "lr" (float), "regularization" ("none", "l1", "l2"), "reg_rate" (float) or "optimizer"
    ("sgd", "momentum", "adam": a new optimizer starts from a fresh state), or one weight set by hand
    ("W2.0.3", ``weight_key``; float).
    """

    step: int
    epoch: int
    what: str
    old: float | str
    new: float | str

    def label(self) -> str:
        """How a chart marks it: "lr 1 → 0.1", "optimizer sgd → adam", "W[2]₁₄ 0.42 → 1"."""
        def show(v):
            return f"{v:.3g}" if isinstance(v, float) else str(v)

        parts = weight_parts(self.what)
        if parts is not None:
            param, i, j = parts
            layer = param[1:]
            name = f"b[{layer}]{str(i + 1).translate(_SUB)}" if param[0] == "b" else \
                f"W[{layer}]{str(i + 1).translate(_SUB)}{str(j + 1).translate(_SUB)}"
            return f"{name} {show(self.old)} → {show(self.new)}"
        return f"{self.what.replace('_', ' ')} {show(self.old)} → {show(self.new)}"


def check_change_value(what: str, value):
    """``value`` checked for the setting ``what`` (one of ``CHANGEABLE``); a ``ValueError`` names it otherwise."""
    if what == "lr":
        return check_learning_rate(value)
    if what == "reg_rate":
        return check_reg_rate(value)
    if what == "regularization":
        return get_regularization(value).name
    if what == "optimizer":
        if value not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {value!r}; choose one of {', '.join(OPTIMIZERS)}")
        return value
    if weight_parts(what) is not None:
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
                or abs(value) > MAX_EDITED_WEIGHT:
            raise ValueError(f"a weight must be a number from −{MAX_EDITED_WEIGHT:g} to {MAX_EDITED_WEIGHT:g}, "
                             f"got {value!r}")
        return float(value)
    raise ValueError(f"a run can change {', '.join(CHANGEABLE)} or a weight, not {what!r}")


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
    """Mini-batch training of a ``DeepNN`` (or the lesson's ``ShallowNN``), one step at a time.

    Parameters
    ----------
    model : DeepNN
        Its optimizer and regularization are the run's (changeable with ``set_optimizer`` and
        ``set_regularization``).
    X_train : ndarray of shape (m, n_input)
        One sample per row (the lesson's layout for data); stored with a column of ones appended, so that
        each batch is one contiguous block.
    y_train : ndarray of shape (m,)
        Class labels, or target values for a regression.
    X_test, y_test : optional
        Evaluated after every epoch.
    lr : float
        Learning rate, > 0; changeable with ``set_lr``.
    batch_size : int
        Samples per step; capped at the number of training samples.
    epochs : int
        The run's budget.
    shuffle : bool
        A new order of the training samples each epoch (drawn from ``seed``).
    seed : int or None
        Seed of the shuffling order.
    evaluate : bool
        Measure accuracy or R² (and the test loss) on the whole sets after every epoch;
        ``fit`` turns this off, as the lesson's loop measures nothing.
    schedule : sequence of Change, optional
        Changes to replay: each is applied when the run has taken ``change.step`` steps (and recorded
        again in ``schedule`` then), so a recorded run is reproduced from its settings and its schedule.
    """

    def __init__(self, model: DeepNN, X_train, y_train, X_test=None, y_test=None, *,
                 lr, batch_size, epochs, shuffle=False, seed=None, evaluate=True, schedule=()):
        if not isinstance(model, DeepNN):
            raise ValueError(f"model must be a DeepNN or ShallowNN, got {type(model).__name__}")
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
        #: Every change of a setting so far, in order (``Change``); pickled with the trainer.
        self.schedule: list[Change] = []
        self._pending: list[Change] = []  # changes to replay, by step
        self._batch = 0  # batches done in the current epoch
        self._epoch_loss = 0.0  # Σ loss·batch size in the current epoch
        self._epoch_penalty = 0.0  # Σ penalty·batch size in the current epoch
        self._order = None  # this epoch's permutation when shuffling
        self.attach(X_train, y_train, X_test, y_test)
        self.replay(schedule)

    # ----------------------------------------------------------------- data

    def attach(self, X_train, y_train, X_test=None, y_test=None):
        """Give the trainer its data (checked: shapes, labels or targets, no NaN/inf)."""
        n_input = self.model.n_input
        X_train = check_array("X_train", X_train, ndim=2)
        if X_train.shape[1] != n_input:
            raise ValueError(f"X_train must have {n_input} features per row, got shape {X_train.shape}")
        # Rows plus a column of ones (the bias trick): each batch is one contiguous block.
        self._X1 = with_ones_column(X_train)
        self._YT = self.model.targets(y_train, X_train.shape[0], "y_train")
        self._limit = self.model.divergence_limit(self._YT)
        self.m = X_train.shape[0]
        self.batch_size = min(self.batch_size, self.m)
        self.has_test = X_test is not None and y_test is not None
        if self.has_test:
            X_test = check_array("X_test", X_test, ndim=2)
            if X_test.shape[1] != n_input:
                raise ValueError(f"X_test must have {n_input} features per row, got shape {X_test.shape}")
            self._X1_test = with_ones_column(X_test)
            self._YT_test = self.model.targets(y_test, X_test.shape[0], "y_test")
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
        self._batches = [(X1[i : i + bs], YT[:, i : i + bs]) for i in range(0, m, bs)]  # steps_per_epoch(m, bs)

    # ----------------------------------------------------------------- changes during a run

    def set_lr(self, lr):
        """The learning rate from the next step on (recorded in ``schedule``)."""
        self._change("lr", lr)

    def set_regularization(self, kind, rate=None):
        """The penalty from the next step on: ``kind`` "none", "l1" or "l2"; ``rate`` λ ≥ 0 (None keeps the
        current one). A change of kind and one of rate are recorded as two ``Change``s."""
        kind = check_change_value("regularization", kind)
        rate = self.model.reg_rate if rate is None else check_change_value("reg_rate", rate)
        self._change("regularization", kind)
        self._change("reg_rate", rate)

    def set_optimizer(self, name):
        """The optimizer from the next step on ("sgd", "momentum", "adam"): a different one starts from a fresh
        state (zero velocity and moments), as at the start of a run."""
        self._change("optimizer", name)

    def set_weight(self, param: str, i: int, j: int, value):
        """One weight (or bias) set by hand from the next step on, recorded in ``schedule`` like any change."""
        if param not in self.model.params:
            raise ValueError(f"unknown parameter {param!r}; the parameters are {', '.join(self.model.param_names)}")
        P = self.model.params[param]
        if not (0 <= i < P.shape[0] and 0 <= j < P.shape[1]):
            raise ValueError(f"{param} has shape {P.shape}, no entry ({i}, {j})")
        self._change(weight_key(param, i, j), value)

    def current(self, what: str):
        """The current value of a changeable setting (``CHANGEABLE``), or of a weight ("W2.0.3")."""
        model = self.model
        parts = weight_parts(what)
        if parts is not None:
            param, i, j = parts
            return float(model.params[param][i, j])
        return {"lr": self.lr, "regularization": model.regularization, "reg_rate": model.reg_rate,
                "optimizer": model.optimizer.name}[what]

    def replay(self, changes):
        """Queue recorded ``Change``s: each takes effect when the run has taken ``change.step`` steps.

        Changes must come in order of their steps, none before the current step; their values are checked
        now, so a bad schedule (e.g. from a link) is refused before the run starts."""
        changes = list(changes)
        last = max([self.step] + [c.step for c in self._pending])
        for c in changes:
            if not isinstance(c, Change):
                raise ValueError(f"a schedule holds Change records, got {c!r}")
            if isinstance(c.step, bool) or not isinstance(c.step, int) or c.step < last:
                raise ValueError(f"schedule steps must be whole numbers in order from step {last}, got {c.step!r}")
            check_change_value(c.what, c.new)
            last = c.step
        self._pending.extend(changes)
        self._apply_due()

    def _change(self, what, value):
        value = check_change_value(what, value)
        old = self.current(what)
        if value == old:
            return
        if what == "lr":
            self.lr = value
        elif what == "regularization":
            self.model.set_regularization(value, self.model.reg_rate)
        elif what == "reg_rate":
            self.model.set_regularization(self.model.regularization, value)
        elif what == "optimizer":
            self.model.set_optimizer(value)
        else:
            self.model.set_weight(*weight_parts(what), value)
        self.schedule.append(Change(self.step, self.epoch, what, old, value))

    def _apply_due(self):
        while self._pending and self._pending[0].step == self.step:
            c = self._pending.pop(0)
            self._change(c.what, c.new)

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
        model, clock, limit = self.model, time.perf_counter, self._limit
        train_step = model.train_step
        losses, records = [], []
        first_step = self.step + 1
        taken = 0
        with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
            while self.stop is None and taken < max_steps and self.epoch < end_epoch:
                self._apply_due()
                lr = self.lr
                penalised = model.penalised
                # stop at the next change to replay, if it comes first
                until = min(max_steps, taken + self._pending[0].step - self.step) if self._pending else max_steps
                batches = self._batches
                i = self._batch
                n_batches = len(batches)
                epoch_loss, epoch_penalty = self._epoch_loss, self._epoch_penalty
                diverged = timed_out = False
                while i < n_batches and taken < until:
                    X1, Y = batches[i]
                    loss = train_step(X1, Y, lr)
                    losses.append(loss)
                    taken += 1
                    i += 1
                    if not loss < limit:  # also true for NaN
                        diverged = True
                        break
                    epoch_loss += loss * X1.shape[0]
                    if penalised:
                        epoch_penalty += model.last_penalty * X1.shape[0]
                    if clock() >= deadline:
                        timed_out = True
                        break
                self.step += i - self._batch
                self._batch, self._epoch_loss, self._epoch_penalty = i, epoch_loss, epoch_penalty
                if diverged:
                    self.stop = self._diverged(loss)
                elif i == n_batches:
                    records.append(self._finish_epoch(t0, taken, loss))
                if timed_out:
                    break
            self._apply_due()
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

    def evaluate(self, which: str = "test", loss: bool = True) -> tuple[float | None, float | None]:
        """(loss, accuracy) on the whole training or test set with the current weights — (loss, R²) for a
        regression (R² None when the set's targets do not vary).

        The loss includes the penalty when there is one (as the objective does); ``loss=False`` skips it
        (``None`` in its place) when only the accuracy is needed.
        """
        X1, Y = (self._X1, self._YT) if which == "train" else (self._X1_test, self._YT_test)
        model = self.model
        ZL = model.logits(X1)
        value = model.loss_from_logits(Y, ZL) + model.penalty() if loss else None
        if model.problem == "regression":
            return value, r2_score(Y, ZL)
        if model.n_output == 1:
            correct = np.count_nonzero((ZL > 0) == (Y > 0.5))  # σ(z) > 0.5 exactly when z > 0
        else:
            correct = np.count_nonzero(np.argmax(ZL, axis=0) == np.argmax(Y, axis=0))
        return value, float(correct / Y.shape[1])

    def _finish_epoch(self, t0: float, taken: int, last_loss: float) -> EpochRecord:
        self.epoch += 1
        train_loss = self._epoch_loss / self.m
        train_acc = test_loss = test_acc = train_r2 = test_r2 = None
        regression = self.model.problem == "regression"
        if self.evaluate_epochs:
            _, train_metric = self.evaluate("train", loss=False)
            if regression:
                train_r2 = train_metric
            else:
                train_acc = train_metric
            if self.has_test:
                test_loss, test_metric = self.evaluate("test")
                if regression:
                    test_r2 = test_metric
                else:
                    test_acc = test_metric
        penalised = self.model.penalised or self._epoch_penalty > 0
        elapsed = time.perf_counter() - t0
        record = EpochRecord(
            epoch=self.epoch, step=self.step, train_loss=train_loss, train_acc=train_acc,
            test_loss=test_loss, test_acc=test_acc,
            steps_per_s=taken / elapsed if elapsed > 0 else 0.0, last_batch_loss=float(last_loss),
            train_r2=train_r2, test_r2=test_r2,
            penalty=self.model.penalty() if penalised else None,
            train_penalty=self._epoch_penalty / self.m if penalised else None,
        )
        self._batch = 0
        self._epoch_loss = self._epoch_penalty = 0.0
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
        # The schedule and the changes still to replay travel with the trainer.
        state = self.__dict__.copy()
        for key in ("_X1", "_YT", "_X1_test", "_YT_test", "_batches", "history"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.history = None

    def detached(self) -> Trainer:
        """A deep copy without the data and the history: what travels to a worker, kept as it is now."""
        clone = Trainer.__new__(Trainer)
        clone.__setstate__(copy.deepcopy(self.__getstate__()))
        return clone
