"""The typed schema of the trainer's settings, and their round trip through URL query parameters.

One dataclass says what a run is; ``to_query`` and ``from_query`` turn it into
the query string of a shareable link and back, so that opening the link
restores every setting, the seed included, and the same seed gives the same
curve (TensorFlow Playground's ``state.ts`` does the same). A bad value in a
link is never fatal: it is replaced by the default and reported.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace

from nnviz.core.activations import HIDDEN_ACTIVATIONS
from nnviz.core.datasets import LESSON, MAX_2D_CLASSES, MULTICLASS_2D, REGRESSION_2D, TWO_D, Dataset
from nnviz.core.deep_network import MAX_HIDDEN_LAYERS, DeepNN
from nnviz.core.drawn_data import DRAWN, decode, encode
from nnviz.core.features import DEFAULT_FEATURES, check_features
from nnviz.core.network import ShallowNN
from nnviz.core.optimizers import OPTIMIZERS
from nnviz.core.regularization import REGULARIZATIONS
from nnviz.core.training import CHANGEABLE, Change, Trainer, check_change_value, steps_per_epoch, weight_parts

PLANE_SETS = (*TWO_D, *REGRESSION_2D)  # the 2-D sets made here: noise, split, samples and input features apply
DATASETS = (LESSON, *PLANE_SETS, DRAWN, "csv")
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
HIDDEN_UNITS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64, 96, 128, 256, 512)
BATCH_SIZES = (1, 2, 4, 8, 10, 16, 32, 64, 100, 128, 256, 512, 1000, 2000, 0)  # 0: the full training set
FULL_BATCH = 0
EPOCHS = (1, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
SAMPLES = (100, 200, 400, 800, 1600, 5000)
INITS = ("lesson", "glorot")
SPEEDS = ("max", "50", "10", "2")  # epochs per second; "max" = as fast as the machine trains
INIT_SCALES = {"lesson": 0.01, "glorot": "glorot"}  # Init scale choice -> ShallowNN's init_scale
MAX_SEED = 2**31 - 1
MAX_CHANGES = 50  # changes of a run a link carries (``schedule``)
CLASSES = tuple(range(2, MAX_2D_CLASSES + 1))
REG_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGS = tuple(REGULARIZATIONS)
OPTIMIZER_NAMES = tuple(OPTIMIZERS)
#: The run's settings that may change while it plays (``Run.change``) without making it another run, and the name
#: the trainer's schedule gives each (``nnviz.core.training.CHANGEABLE``).
CHANGE_DURING_RUN = {"lr": "lr", "reg": "regularization", "reg_rate": "reg_rate", "optimizer": "optimizer"}


@dataclass(frozen=True)
class TrainerSettings:
    """Everything that defines a run on the Shallow network page, plus two display choices."""

    dataset: str = LESSON
    noise: float = 0.2  # 2-D sets: standard deviation of the jitter
    train_split: int = 70  # 2-D sets: percent of the points used for training
    samples: int = 400  # 2-D sets: number of points
    hidden: tuple[int, ...] = (10,)  # units per hidden layer, 0 to 6 layers (an int is one layer)
    activation: str = "tanh"  # every hidden layer's, or one per layer: "relu,tanh"
    classes: int = 2  # blobs and spiral: 2 … 6 classes
    features: tuple[str, ...] = DEFAULT_FEATURES  # 2-D sets: the network's inputs (nnviz.core.features)
    reg: str = "none"  # weight penalty: "none", "l1", "l2"
    reg_rate: float = 0.003  # its rate λ (when reg is not "none")
    optimizer: str = "sgd"  # "sgd" (the lesson's), "momentum", "adam"
    lr: float = 1.0  # the lesson's effective step size
    batch_size: int = 100  # FULL_BATCH (0) = every training sample in one step
    epochs: int = 500
    init: str = "lesson"  # "lesson": N(0, 1)·0.01; "glorot": Glorot-uniform
    seed: int = 0
    shuffle: bool = False
    standardize: bool = False
    speed: str = "50"  # display: how fast the run plays (epochs/s); 500 epochs take 10 s, time to narrate
    log_scale: bool = False  # display: loss axis
    #: changes during the run, replayed at their steps: (step, what, new value), e.g. (1200, "lr", 0.1)
    schedule: tuple[tuple[int, str, float | str], ...] = ()
    points: str = ""  # "Draw your own": the drawn points (nnviz.core.drawn_data.encode)

    def __post_init__(self):
        # an int is one hidden layer, a list a tuple, a list of activations one comma-separated name
        hidden = self.hidden
        if isinstance(hidden, int) and not isinstance(hidden, bool):
            object.__setattr__(self, "hidden", (hidden,) if hidden else ())
        elif isinstance(hidden, list):
            object.__setattr__(self, "hidden", tuple(hidden))
        if isinstance(self.activation, (list, tuple)):
            object.__setattr__(self, "activation", ",".join(self.activation))
        if isinstance(self.features, (list, str)):
            object.__setattr__(self, "features", check_features(self.features))

    def run_key(self) -> tuple:
        """The settings that define the run itself (not how it is shown)."""
        d = asdict(self)
        for display in ("speed", "log_scale"):
            d.pop(display)
        if self.dataset not in PLANE_SETS:  # the 2-D options do not change other sets
            for key in ("noise", "samples") + (() if self.dataset == DRAWN else ("train_split", "features")):
                d.pop(key)
        if self.dataset != DRAWN:
            d.pop("points")
        if self.dataset not in MULTICLASS_2D:
            d.pop("classes")
        if self.reg == "none":
            d.pop("reg_rate")
        return tuple(sorted(d.items()))

    @property
    def activations(self) -> tuple[str, ...]:
        """One activation per hidden layer."""
        names = tuple(self.activation.split(","))
        return names * len(self.hidden) if len(names) == 1 else names

    def data_classes(self) -> int:
        """The number of classes the data is asked for (blobs and spiral; 2 for the other classification sets)."""
        return self.classes if self.dataset in MULTICLASS_2D else 2

    def data_features(self) -> tuple[str, ...]:
        """The input features the data is mapped to: () for the plain ones, or a set that has none."""
        plane = self.dataset in PLANE_SETS or self.dataset == DRAWN
        return self.features if plane and self.features != DEFAULT_FEATURES else ()

    @property
    def init_scale(self) -> float | str:
        """``ShallowNN``'s ``init_scale`` for this choice: the lesson's 0.01 · N(0, 1), or "glorot"."""
        return INIT_SCALES[self.init]

    @property
    def epochs_per_s(self) -> float | None:
        """The pace the run plays at, or None for as fast as the machine trains."""
        return None if self.speed == "max" else float(self.speed)

    def batch_for(self, n_train: int) -> int:
        """Samples per step on a training set of ``n_train`` samples: FULL_BATCH and sizes above
        ``n_train`` mean the whole set (one step per epoch)."""
        return n_train if self.batch_size == FULL_BATCH else min(self.batch_size, n_train)

    def steps_per_epoch(self, n_train: int) -> int:
        """Gradient steps in one epoch over ``n_train`` samples (the last batch may be shorter)."""
        return steps_per_epoch(n_train, self.batch_for(n_train))

    def new_trainer(self, ds: Dataset) -> Trainer:
        """A fresh network and its ``Trainer`` on ``ds``, exactly as these settings describe.

        Raises ``ValueError`` (with the bad value) when the settings cannot train on ``ds``."""
        reg_rate = self.reg_rate if self.reg != "none" else 0.0
        if len(self.hidden) == 1 and ds.problem != "regression":  # the lesson's network (with k outputs for k classes)
            model = ShallowNN(ds.n_features, self.hidden[0], ds.n_outputs, activation=self.activation,
                              init_scale=self.init_scale, seed=self.seed, regularization=self.reg,
                              reg_rate=reg_rate, optimizer=self.optimizer)
        else:
            model = DeepNN(ds.n_features, self.hidden, ds.n_outputs, problem=ds.problem,
                           activation=list(self.activations), init_scale=self.init_scale, seed=self.seed,
                           regularization=self.reg, reg_rate=reg_rate, optimizer=self.optimizer)
        changes = [Change(step, 0, what, None, new) for step, what, new in self.schedule]
        return Trainer(model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, lr=self.lr,
                       batch_size=self.batch_for(ds.n_train), epochs=self.epochs, shuffle=self.shuffle,
                       seed=self.seed, schedule=changes)

    def trainer_value(self, name: str):
        """The value of a setting of ``CHANGE_DURING_RUN`` as the trainer holds it (λ is 0 without a penalty)."""
        if name == "reg_rate" and self.reg == "none":
            return 0.0
        return getattr(self, name)

    def same_network(self, other: TrainerSettings) -> bool:
        """Whether ``other`` describes the same run up to what may change while it plays (``CHANGE_DURING_RUN``)
        and its schedule: a page changes the run on screen instead of starting another."""
        mine, theirs = dict(self.run_key()), dict(other.run_key())
        for name in (*CHANGE_DURING_RUN, "schedule"):
            mine.pop(name, None)
            theirs.pop(name, None)
        return mine == theirs

    def with_schedule(self, changes) -> TrainerSettings:
        """These settings with the changes a run recorded (``Change`` records, oldest first) as its schedule."""
        return replace(self, schedule=tuple((c.step, c.what, c.new) for c in changes))

    def label(self) -> str:
        """A short legend label: what tells two runs apart."""
        words = self._words()
        shown = ["lr", "batch_size", "hidden", "activation", "seed"]
        shown += [k for k, default in (("reg", "none"), ("optimizer", "sgd")) if getattr(self, k) != default]
        return " · ".join(words[k] for k in shown)

    def _words(self) -> dict[str, str]:
        """Each run-defining setting as a legend says it."""
        return {
            "dataset": self.dataset, "noise": f"noise {self.noise:g}", "train_split": f"{self.train_split} % train",
            "samples": f"{self.samples} samples", "hidden": hidden_words(self.hidden), "activation": self.activation,
            "classes": f"{self.classes} classes", "features": "features " + ", ".join(self.features),
            "reg": "no penalty" if self.reg == "none" else f"{self.reg.upper()} λ {self.reg_rate:g}",
            "reg_rate": f"λ {self.reg_rate:g}", "optimizer": OPTIMIZERS[self.optimizer].label,
            "lr": f"lr {self.lr:g}",
            "batch_size": "full batch" if self.batch_size == FULL_BATCH else f"batch {self.batch_size}",
            "epochs": f"{self.epochs} epochs", "init": f"{self.init} init", "seed": f"seed {self.seed}",
            "shuffle": "shuffled" if self.shuffle else "not shuffled",
            "standardize": "standardized" if self.standardize else "not standardized",
            "points": f"{len(self.points) // 4} points drawn",
            "schedule": ", ".join(f"{what.replace('_', ' ')} → {_format(what, new)} at step {step:,}"
                                  for step, what, new in self.schedule) or "no changes",
        }

    def label_against(self, current: TrainerSettings) -> str:
        """An earlier run's legend label beside the run on screen: only what differs ("earlier: lr 0.1"), so that
        it fits a chart's legend and says at a glance what the comparison is about."""
        mine, theirs = dict(self.run_key()), dict(current.run_key())
        words = self._words()
        differ = [words[k] for k in words if k in mine and mine[k] != theirs.get(k)]
        return "earlier: " + (" · ".join(differ) if differ else "same settings")


def hidden_words(hidden: tuple[int, ...]) -> str:
    """How a legend names the hidden layers: "10 hidden", "8-8 hidden", "no hidden layer"."""
    return "-".join(map(str, hidden)) + " hidden" if hidden else "no hidden layer"


# URL key, field name, parser. Short keys keep a link readable.
_SCHEMA = {
    "ds": "dataset", "noise": "noise", "split": "train_split", "n": "samples", "hidden": "hidden",
    "act": "activation", "lr": "lr", "batch": "batch_size", "epochs": "epochs", "init": "init",
    "seed": "seed", "shuffle": "shuffle", "std": "standardize", "speed": "speed", "log": "log_scale",
    "classes": "classes", "feat": "features", "reg": "reg", "rate": "reg_rate", "opt": "optimizer",
    "sched": "schedule", "pts": "points",
}
_FIELD_TO_KEY = {v: k for k, v in _SCHEMA.items()}


def _choice(options):
    def parse(text):
        if text in options:
            return text
        raise ValueError(f"not one of {', '.join(options)}")
    return parse


def _number_choice(options, kind=float):
    def parse(text):
        if text == "full" and FULL_BATCH in options:
            return FULL_BATCH
        value = kind(float(text)) if kind is int else float(text)
        if kind is int and float(text) != int(float(text)):
            raise ValueError("not a whole number")
        for option in options:
            if math.isclose(value, option, rel_tol=1e-9, abs_tol=1e-12):
                return option
        shown = ", ".join("full" if o == FULL_BATCH and options is BATCH_SIZES else f"{o:g}" for o in options)
        raise ValueError(f"not one of {shown}")
    return parse


def _float_range(low, high, step):
    def parse(text):
        value = float(text)
        if not low <= value <= high:
            raise ValueError(f"not between {low:g} and {high:g}")
        return round(round(value / step) * step, 10)
    return parse


def _int_range(low, high):
    def parse(text):
        value = float(text)
        if value != int(value) or not low <= value <= high:
            raise ValueError(f"not a whole number from {low} to {high}")
        return int(value)
    return parse


def _hidden(text):
    """``hidden=10`` one layer, ``hidden=8,8`` two, ``hidden=0`` none."""
    if text.strip() == "0":
        return ()
    items = text.split(",")
    if len(items) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"at most {MAX_HIDDEN_LAYERS} hidden layers")
    return tuple(_number_choice(HIDDEN_UNITS, int)(item) for item in items)


def _activations(text):
    names = text.split(",")
    if len(names) > MAX_HIDDEN_LAYERS:
        raise ValueError(f"at most {MAX_HIDDEN_LAYERS} activations, one per hidden layer")
    return ",".join(_choice(HIDDEN_ACTIVATIONS)(name) for name in names)


def _features(text):
    return check_features(text)


def _schedule(text):
    """``sched=1200:lr:0.1,3000:lr:0.01``: each change as step:what:value, in order of steps."""
    if not text:
        return ()
    items = text.split(",")
    if len(items) > MAX_CHANGES:
        raise ValueError(f"more than {MAX_CHANGES} changes")
    out, last = [], 0
    for item in items:
        parts = item.split(":")
        if len(parts) != 3:
            raise ValueError(f"{_cut(item, 30)!r} is not step:what:value")
        step = _int_range(0, 10**9)(parts[0])
        what = parts[1]
        if what not in CHANGEABLE and weight_parts(what) is None:
            raise ValueError(f"a run can change {', '.join(CHANGEABLE)} or a weight (W2.0.3), not {_cut(what, 20)!r}")
        if step < last:
            raise ValueError("the changes are not in order of their steps")
        value = PARSERS["lr"](parts[2]) if what == "lr" else parts[2]
        if what == "reg_rate":
            value = PARSERS["reg_rate"](value)
        elif weight_parts(what) is not None:
            value = float(value)
        out.append((step, what, check_change_value(what, value)))
        last = step
    return tuple(out)


def _points(text):
    """``pts=`` the drawn points, in ``drawn_data``'s form (checked, and given back in its one exact form)."""
    return encode(decode(text)) if text else ""


def _flag(text):
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError("not 0 or 1")


PARSERS = {
    "dataset": _choice(DATASETS),
    "noise": _float_range(0.0, 0.5, 0.05),
    "train_split": _int_range(10, 90),
    "samples": _number_choice(SAMPLES, int),
    "hidden": _hidden,
    "activation": _activations,
    "classes": _int_range(2, MAX_2D_CLASSES),
    "features": _features,
    "reg": _choice(REGS),
    "reg_rate": _number_choice(REG_RATES),
    "optimizer": _choice(OPTIMIZER_NAMES),
    "lr": _number_choice(LEARNING_RATES),
    "batch_size": _number_choice(BATCH_SIZES, int),
    "epochs": _number_choice(EPOCHS, int),
    "init": _choice(INITS),
    "seed": _int_range(0, MAX_SEED),
    "shuffle": _flag,
    "standardize": _flag,
    "speed": _choice(SPEEDS),
    "log_scale": _flag,
    "schedule": _schedule,
    "points": _points,
}


def _format(name, value) -> str:
    if name == "schedule":
        return ",".join(f"{step}:{what}:{_format(what, new)}" for step, what, new in value)
    if name == "hidden":
        return ",".join(map(str, value)) or "0"
    if name == "features":
        return ",".join(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if name == "batch_size" and value == FULL_BATCH:
        return "full"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def to_query(settings: TrainerSettings) -> dict[str, str]:
    """The query parameters of a link that reproduces ``settings`` (every field, so a link
    keeps its meaning even if a default changes; the schedule only when the run changed something)."""
    query = {_FIELD_TO_KEY[f.name]: _format(f.name, getattr(settings, f.name)) for f in fields(settings)}
    if not settings.schedule:
        del query["sched"]  # most runs change nothing: their links stay short
    if settings.dataset != DRAWN or not settings.points:
        del query["pts"]
    return query


def from_query(params) -> tuple[TrainerSettings, list[str]]:
    """Settings from query parameters (a mapping of str to str). Unknown keys are ignored;
    a bad value falls back to the default and is reported in the returned list."""
    values, problems = {}, []
    for key, name in _SCHEMA.items():
        if key not in params:
            continue
        raw = params[key]
        text = str(raw[-1] if isinstance(raw, (list, tuple)) else raw).strip()
        try:
            values[name] = PARSERS[name](text)
        except (ValueError, OverflowError) as err:
            reason = ("too large" if isinstance(err, OverflowError) else "not a number"
                      if str(err).startswith("could not convert") else _cut(str(err), 200))
            problems.append(f"{key}={_echo(text)} in the link was ignored: {reason}")
        else:
            if not text.isascii():  # e.g. full-width digits "１０": Python reads them; say what it made of them
                problems.append(f"{key}={_echo(text)} in the link was read as {_format(name, values[name])}")
    settings = replace(TrainerSettings(), **values)
    n_acts, n_hidden = len(settings.activation.split(",")), len(settings.hidden)
    if n_acts > 1 and n_acts != n_hidden:
        problems.append(f"act={_echo(settings.activation)} in the link was ignored: {n_acts} activations for "
                        f"{n_hidden} hidden layers (give one, or one per layer)")
        settings = replace(settings, activation=TrainerSettings().activation)
    return settings, problems


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _echo(text: str, limit: int = 40) -> str:
    """A value from a link as a message shows it: at most ``limit`` characters (a link can carry megabytes)."""
    return repr(text) if len(text) <= limit else f"{_cut(text, limit)!r} ({len(text):,} characters)"
