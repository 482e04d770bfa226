"""What a run's numbers say, in words a class can act on: diverging, overshooting, oscillating, stuck on
a plateau — and, for a plateau, what the hidden units are doing (identical, saturated or dead) —, overfitting
(the test loss rising while the training loss falls) and underfitting (a network too small, or too slow, to fit
its training data).

``diagnose`` reads a run's epoch records (and its network, for the hidden units) and returns a
``Verdict``: a kind, one sentence naming what happens, and what to try. The page shows it while
the run plays and at its end, so that a failing run never ends looking like a success.

The thresholds were set on measured runs (docs/decisions/diagnosis-thresholds.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

#: The cross-entropy of always answering 50/50: a network whose loss stays above this is worse than a coin.
COIN_FLIP_LOSS = math.log(2)
OVERSHOOT_FACTOR = 1.5  # loss above 1.5 × coin flip, or above 1.5 × its own best: steps overshoot
OSCILLATION_ACCURACY = 0.015  # mean back-and-forth of the train accuracy per epoch over the recent window
OSCILLATION_LOSS = 0.08  # mean back-and-forth of the train loss per epoch, relative to the loss level
GOOD_ACCURACY = 0.9  # a noisy loss alone is no failure while the accuracy stays this high (SGD at batch 1)
PLATEAU_IMPROVEMENT = 0.002  # the best loss improved by less than 0.2 % over the recent window
PLATEAU_MIN_EPOCHS = 20
SOLVED_ACCURACY = GOOD_ACCURACY  # a run this accurate on its training data is not stuck: noisy data (Moons
# at noise 0.2) levels off near 96 %, which is the data's limit, not a failed run
OVERFIT_RISE = 0.2  # the test loss 20 % above its best ...
OVERFIT_MIN_RISE = 0.02  # ... by 0.02 at least ...
OVERFIT_TRAIN_FALL = 0.05  # ... while the training loss fell 5 % or more since that epoch
UNDERFIT_ACCURACY = 0.85  # a training accuracy this low after UNDERFIT_MIN_EPOCHS, gaining little, fits poorly
UNDERFIT_MIN_EPOCHS = 100
UNDERFIT_IMPROVEMENT = 0.05  # the best loss fell less than 5 % over the recent window
SMALL_NETWORK = 4  # hidden units: each draws one line, and a few lines cannot bend around most data
SAME_DIRECTION = 0.95  # two hidden units whose (w, b) rows have |cos| above this draw the same line
SATURATED = 0.99  # |tanh| (or sigmoid's distance from 0.5, doubled) above this: the slope is ~0
SATURATED_SHARE = 0.9


@dataclass(frozen=True)
class Units:
    """What the hidden layer is doing: how many distinct lines its units draw, how many sit in the flat
    part of their activation for most samples, how many never fire (ReLU)."""

    n: int
    distinct: int
    saturated_share: float  # share of (unit, sample) pairs in the flat part
    dead: int


@dataclass(frozen=True)
class Verdict:
    """``kind``: "ok", "diverged", "overshooting", "oscillating", "plateau", "overfitting" or "underfitting";
    ``bad`` is whether the page must warn; ``title`` names what happens; ``advice`` says what to try."""

    kind: str
    title: str = ""
    advice: str = ""

    @property
    def bad(self) -> bool:
        return self.kind != "ok"


OK = Verdict("ok")


def window(n_epochs: int) -> int:
    """How many recent epochs a trend is judged on: a third of the run, between 5 and 50."""
    return max(5, min(50, n_epochs // 3))


def hidden_units(model, X) -> Units:
    """Inspect ``model``'s first hidden layer on the samples ``X`` of shape (m, n_features)."""
    W = np.hstack([model.params["W1"], model.params["b1"]])
    norms = np.linalg.norm(W, axis=1)
    directions = W / np.where(norms > 0, norms, 1.0)[:, None]
    groups: list[np.ndarray] = []
    for row in directions:  # greedy: a unit joins the first group whose leader points its way (either sign)
        if not any(abs(float(row @ leader)) > SAME_DIRECTION for leader in groups):
            groups.append(row)
    Z1 = model.params["W1"] @ np.asarray(X, dtype=float).T + model.params["b1"]
    name = model.activations[0]
    with np.errstate(over="ignore"):
        if name == "tanh":
            flat = np.abs(np.tanh(Z1)) > SATURATED
        elif name == "sigmoid":
            flat = np.abs(2 / (1 + np.exp(-Z1)) - 1) > SATURATED
        else:
            flat = np.zeros_like(Z1, dtype=bool)
    dead = int(np.sum(np.all(Z1 <= 0, axis=1))) if name == "relu" else 0
    return Units(model.hidden[0], len(groups), float(np.mean(flat)) if flat.size else 0.0, dead)


def guess_loss(problem: str, n_classes: int | None = 2, y_train=None) -> float:
    """The loss of a network that knows nothing: ln 2 for two classes (P = ½), ln k for k, and for a regression
    that predicts the targets' mean, ½·their variance (the loss is ½·MSE)."""
    if problem == "regression":
        return 0.5 * float(np.var(np.asarray(y_train, dtype=float))) if y_train is not None else COIN_FLIP_LOSS
    return math.log(n_classes or 2)


def diagnose(records, *, lr: float, stopped: str = "", units: Units | None = None, init: str = "",
             batch_size: int | None = None, guess: float = COIN_FLIP_LOSS, score: str = "accuracy") -> Verdict:
    """Name what a run is doing from its ``EpochRecord`` list.

    ``stopped`` is the run's end state if it has one ("diverged" when the loss blew up); ``units`` the
    hidden layer's state (``hidden_units``) for explaining a plateau; ``init`` and ``batch_size`` only
    tailor the advice. ``guess`` is the loss of a network that knows nothing (``guess_loss``); ``score`` what the
    records' ``train_score`` is: "accuracy", or "R²" for a regression."""
    lower = f"{lr / 10:g}"
    if stopped == "diverged":
        return Verdict("diverged", f"Diverged: the loss blew up and training stopped — the learning rate {lr:g} "
                       "is too high, each step overshot and the weights grew without bound.",
                       f"Try a learning rate of {lower} or lower.")
    losses = np.array([r.train_loss for r in records], dtype=float)
    accs = np.array([np.nan if r.train_score is None else r.train_score for r in records], dtype=float)
    if losses.size < 2:
        return OK
    w = window(losses.size)
    recent, recent_acc = losses[-w:], accs[-w:]
    level, best = float(np.mean(recent)), float(np.min(losses))
    smaller_batch = batch_size is not None and batch_size < 32
    batch_hint = ", or a larger batch" if smaller_batch else ""
    if level > OVERSHOOT_FACTOR * guess or (losses.size >= 5 and level > OVERSHOOT_FACTOR * best
                                             and level > guess / 2):
        return Verdict(
            "overshooting",
            f"Overshooting: the loss ({format_loss(level)}) is "
            + (f"worse than {'a 50/50' if math.isclose(guess, COIN_FLIP_LOSS) else 'a blind'} guess ({guess:.2f})"
               if level > guess
               else f"far above its best ({format_loss(best)})")
            + " — each step jumps past the valley.",
            f"Try a learning rate of {lower}{batch_hint}.")
    if recent.size >= 5:
        jitter_acc = _back_and_forth(recent_acc) if np.any(np.isfinite(recent_acc)) else 0.0
        jitter_loss = _back_and_forth(recent) / max(level, 1e-12)
        accurate = np.any(np.isfinite(recent_acc)) and float(np.nanmean(recent_acc)) >= GOOD_ACCURACY
        if jitter_acc > OSCILLATION_ACCURACY or (jitter_loss > OSCILLATION_LOSS and not accurate):
            what = (f"the training {score} jumps {_points(jitter_acc, score)} per epoch"
                    if jitter_acc > OSCILLATION_ACCURACY else f"the training loss jumps {jitter_loss:.0%} per epoch")
            return Verdict(
                "oscillating", f"Oscillating: {what} — the steps are too big to settle.",
                f"Try a learning rate of {lower}{batch_hint}.")
    overfit = _overfitting(records, losses)
    if overfit is not None:
        return overfit
    if losses.size >= PLATEAU_MIN_EPOCHS:
        before = float(np.min(losses[:-w])) if losses.size > w else float(losses[0])
        improvement = (before - float(np.min(recent))) / max(before, 1e-12)
        solved = np.isfinite(recent_acc[-1]) and recent_acc[-1] >= SOLVED_ACCURACY
        if improvement < PLATEAU_IMPROVEMENT and not solved:
            small = _too_small(units, float(recent_acc[-1]), score)
            return small if small is not None else _plateau(w, units, init, lr)
        if (losses.size >= UNDERFIT_MIN_EPOCHS and improvement < UNDERFIT_IMPROVEMENT
                and np.isfinite(recent_acc[-1]) and recent_acc[-1] < UNDERFIT_ACCURACY):
            return _too_small(units, float(recent_acc[-1]), score) or Verdict(
                "underfitting",
                f"Underfitting: after {losses.size} epochs the training {score} is only {_value(recent_acc[-1], score)}, and "
                f"the loss fell {improvement:.1%} over the last {w} epochs — the network fits its own training data "
                "poorly.", "Try more hidden units, a larger learning rate, or Glorot init.")
    return OK


def _back_and_forth(series: np.ndarray) -> float:
    """The mean movement per epoch that is not progress: the path's length minus the straight way from its first
    to its last value, so that a steady climb (a run learning fast) is not read as oscillation."""
    series = series[np.isfinite(series)]
    if series.size < 2:
        return 0.0
    path = float(np.sum(np.abs(np.diff(series))))
    return (path - abs(float(series[-1] - series[0]))) / (series.size - 1)


def _overfitting(records, losses: np.ndarray) -> Verdict | None:
    """The test loss well above its best while the training loss went on falling: the network fits what is
    particular to its training samples (the lesson's 1.4 calls the train/test gap overfitting)."""
    test = np.array([np.nan if r.test_loss is None else r.test_loss for r in records], dtype=float)
    if test.size < 10 or not np.any(np.isfinite(test)):
        return None
    b = int(np.nanargmin(test))
    best, now = float(test[b]), float(np.nanmean(test[-3:]))  # three epochs: one noisy epoch is not a trend
    if not (now > best * (1 + OVERFIT_RISE) and now - best > OVERFIT_MIN_RISE
            and losses[-1] < losses[b] * (1 - OVERFIT_TRAIN_FALL)):
        return None
    return Verdict(
        "overfitting",
        f"Overfitting: the test loss rose from {format_loss(best)} (epoch {records[b].epoch}) to {format_loss(now)} "
        f"while the training loss kept falling ({format_loss(float(losses[b]))} → {format_loss(float(losses[-1]))}) "
        "— the network learns its training samples' noise, not what the test set shares with them.",
        f"Stop earlier (the test loss was lowest at epoch {records[b].epoch}), use fewer hidden units, or train on "
        "more data.")


def _value(x: float, score: str) -> str:
    return f"{x * 100:.0f} %" if score == "accuracy" else f"{x:.2f}"


def _points(dx: float, score: str) -> str:
    return f"{dx * 100:.1f} points" if score == "accuracy" else f"{dx:.3f}"


def _too_small(units: Units | None, accuracy: float, score: str = "accuracy") -> Verdict | None:
    """A plateau of a network with only a few hidden units, far from fitting its data: it is too small."""
    if units is None or units.n > SMALL_NETWORK or accuracy >= UNDERFIT_ACCURACY:
        return None
    lines = "one line" if units.n == 1 else f"{units.n} lines"
    return Verdict(
        "underfitting",
        f"Underfitting: the network is too small — {units.n} hidden unit{'s' if units.n > 1 else ''} draw{'s' if units.n == 1 else ''} "
        f"only {lines} across the inputs, and the training {score} stays at {_value(accuracy, score)}.",
        "Try more hidden units (16 or more for a spiral).")


def _plateau(w: int, units: Units | None, init: str, lr: float) -> Verdict:
    title = f"Plateau: no progress in the last {w} epochs."
    if units is not None and units.n > 1 and units.distinct <= max(1, units.n // 4):
        same = "all draw the same line" if units.distinct == 1 else f"draw only {units.distinct} different lines"
        return Verdict(
            "plateau",
            f"{title} The {units.n} hidden units {same}: they started almost equal and moved together.",
            "Break the symmetry: Glorot init (More settings)." if init == "lesson"
            else "Try another seed or more hidden units.")
    if units is not None and units.saturated_share > SATURATED_SHARE:
        return Verdict("plateau", f"{title} The hidden units are saturated ({units.saturated_share:.0%} of the "
                       "time in the flat part of their activation, where the gradient is almost zero).",
                       f"Try a learning rate of {lr / 10:g}, or standardize the inputs (More settings).")
    if units is not None and units.dead and units.dead >= units.n // 2:
        return Verdict("plateau", f"{title} {units.dead} of the {units.n} ReLU units are dead: they output 0 "
                       "for every sample, so no gradient reaches them.",
                       "Try leaky ReLU or tanh, or a smaller learning rate.")
    return Verdict("plateau", title, "Try more hidden units, another learning rate, or Glorot init.")


def format_loss(value: float | None) -> str:
    """A loss for a readout: four significant figures at most, never wider than six characters
    ("0.1235", "49.04", "999.9", "1.2e+04"), "–" when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if math.isinf(value):
        return "∞"
    if abs(value) >= 1000:
        return f"{value:.1e}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 10:
        return f"{value:.2f}"
    return f"{value:.4f}"


def format_accuracy(value: float | None) -> str:
    """An accuracy for a readout: "93.6 %", or "–" when there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value * 100:.1f} %"
