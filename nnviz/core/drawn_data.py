"""Data a class draws: points clicked on the plane, each of a class (0 … 5) or with a value (a regression), as a
``Dataset`` the network trains on, and as a short text that a link carries.

A drawing lives on the square ``PLANE`` (−2 … 2 in x1 and x2, room around the ±1.5 of the other 2-D sets).
Coordinates and values are kept on a grid of 256 levels per axis (steps of 1/64, exact in binary), so a drawing
has one exact form: the points a page holds, the ones its link encodes and the ones the link gives back are the
same numbers to the last bit, and a shared link reproduces a run.

The link's form (``encode`` / ``decode``): a letter for the kind, "c" (classes) or "r" (regression), then three
bytes per point — x1's level, x2's level, the class (or the value's level) — in URL-safe base64 without padding:
four characters a point, none of which a URL escapes. ``MAX_POINTS`` = 300 points make 1,201 characters, which
leaves ~800 of the 2,000 that every browser and server accepts in a URL for the page's address and its other
settings.

``draw_spec`` / ``draw_data``: the plane as a Vega-Lite chart to click on — a grid of ``DRAW_CELLS`` ×
``DRAW_CELLS`` cells, transparent, over the points — whose two point selections ("add" on a click, "remove" on a
shift-click) return the clicked cell's centre; ``clicks`` reads them.
"""

from __future__ import annotations

import base64
import binascii
import math
import numbers
import re
from dataclasses import dataclass

import numpy as np

from nnviz.core.datasets import MAX_2D_CLASSES, Dataset
from nnviz.core.validation import check_fraction, check_int

PLANE = (-2.0, 2.0)
LEVELS = 256  # per axis: a byte
STEP = (PLANE[1] - PLANE[0]) / LEVELS  # 1/64
MAX_POINTS = 300
KINDS = {"classes": "c", "regression": "r"}
#: the longest text ``decode`` accepts: the kind's letter and four characters per point
MAX_ENCODED = 1 + 4 * MAX_POINTS
#: the clickable grid: 32 × 32 cells of 1/8, whose centres lie on the levels (level 8·i + 4)
DRAW_CELLS = 32
#: a shift-click (or a page's remove mode) removes the nearest point at most this far from the click: about a cell
REMOVE_RADIUS = 0.2
TITLE = "Drawn by the class"
DRAWN = "draw"  # the dataset's name in the settings and the link (ds=draw&pts=…)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class Drawing:
    """Points drawn on the plane, in the order they were drawn.

    ``kind`` is "classes" or "regression"; ``X`` of shape (n, 2) holds x1, x2 on ``PLANE``'s levels; ``y`` of
    shape (n,) the classes (int64, 0 … 5) or the values (float64, on the same levels, −2 … 2)."""

    kind: str
    X: np.ndarray
    y: np.ndarray

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"a drawing holds classes or regression values, got kind {self.kind!r}")
        for a in (self.X, self.y):
            a.setflags(write=False)

    @classmethod
    def empty(cls, kind: str = "classes") -> Drawing:
        return cls(kind, np.zeros((0, 2)), np.zeros(0, dtype=np.int64 if kind == "classes" else float))

    def __len__(self) -> int:
        return self.X.shape[0]

    def __eq__(self, other) -> bool:
        return (isinstance(other, Drawing) and self.kind == other.kind and np.array_equal(self.X, other.X)
                and np.array_equal(self.y, other.y))

    __hash__ = None

    @property
    def classes(self) -> tuple[int, ...]:
        """The classes drawn, in increasing order (() for a regression)."""
        return tuple(int(c) for c in np.unique(self.y)) if self.kind == "classes" else ()


def snap(v) -> np.ndarray:
    """Values on ``PLANE`` put on its nearest level (−2, −2 + 1/64, …, 2 − 1/64)."""
    return PLANE[0] + _levels(v) * STEP


def _levels(v) -> np.ndarray:
    return np.clip(np.round((np.asarray(v, dtype=float) - PLANE[0]) / STEP), 0, LEVELS - 1).astype(np.int64)


def _check_coordinate(name: str, v) -> float:
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or not math.isfinite(v):
        raise ValueError(f"{name} must be a number, got {v!r}")
    if not PLANE[0] <= v <= PLANE[1]:
        raise ValueError(f"{name} = {v:g} is outside the plane ({PLANE[0]:g} … {PLANE[1]:g})")
    return float(v)


def _check_target(drawing: Drawing, label):
    if drawing.kind == "classes":
        return check_int("class", label, minimum=0, maximum=MAX_2D_CLASSES - 1)
    return _check_coordinate("value", label)


def add_point(drawing: Drawing, x1, x2, label) -> Drawing:
    """``drawing`` with one more point at (x1, x2) (put on the levels) of class ``label`` (0 … 5), or with value
    ``label`` (−2 … 2) for a regression. A ``ValueError`` names a point off the plane, a bad class or value, or a
    drawing that already holds ``MAX_POINTS``."""
    x1, x2 = _check_coordinate("x1", x1), _check_coordinate("x2", x2)
    label = _check_target(drawing, label)
    if len(drawing) >= MAX_POINTS:
        raise ValueError(f"a drawing holds at most {MAX_POINTS} points (what a link can carry); remove some first")
    X = np.vstack([drawing.X, snap([[x1, x2]])])
    y = np.r_[drawing.y, snap(label) if drawing.kind == "regression" else label].astype(drawing.y.dtype)
    return Drawing(drawing.kind, X, y)


def remove_point(drawing: Drawing, x1, x2, radius: float = REMOVE_RADIUS) -> Drawing:
    """``drawing`` without the point nearest to (x1, x2) (the latest drawn of equally near ones), if one lies
    within ``radius``; else ``drawing`` itself."""
    x1, x2 = _check_coordinate("x1", x1), _check_coordinate("x2", x2)
    if not len(drawing):
        return drawing
    d = np.hypot(drawing.X[:, 0] - x1, drawing.X[:, 1] - x2)
    i = len(d) - 1 - int(np.argmin(d[::-1]))
    if d[i] > radius:
        return drawing
    keep = np.arange(len(drawing)) != i
    return Drawing(drawing.kind, drawing.X[keep], drawing.y[keep])


# ----------------------------------------------------------------------------- the link's form


def encode(drawing: Drawing) -> str:
    """The drawing as a short URL-safe text: the kind's letter, then four characters per point."""
    levels = np.empty((len(drawing), 3), dtype=np.uint8)
    levels[:, :2] = _levels(drawing.X)
    levels[:, 2] = drawing.y if drawing.kind == "classes" else _levels(drawing.y)
    return KINDS[drawing.kind] + base64.urlsafe_b64encode(levels.tobytes()).decode("ascii")


def decode(text) -> Drawing:
    """The drawing a link's text holds (``encode``'s form). A ``ValueError`` says what is wrong with a malformed,
    cut or too long one, with the bad part."""
    if not isinstance(text, str):
        raise ValueError(f"drawn points must be text, got {type(text).__name__}")
    if len(text) > MAX_ENCODED:
        raise ValueError(f"drawn points: {len(text):,} characters, at most {MAX_ENCODED:,} ({MAX_POINTS} points)")
    kind = next((k for k, letter in KINDS.items() if text[:1] == letter), None)
    if kind is None:
        raise ValueError(f"drawn points start with 'c' (classes) or 'r' (regression), got {text[:12]!r}")
    body = text[1:]
    bad = _BASE64URL.fullmatch(body) is None
    if bad:
        at = next(i for i, ch in enumerate(body) if not _BASE64URL.fullmatch(ch))
        raise ValueError(f"drawn points: character {body[at]!r} at position {at + 1} is not one a link carries "
                         f"(letters, digits, - and _)")
    if len(body) % 4:
        raise ValueError(f"drawn points: {len(body)} characters after the kind, not a whole number of points "
                         f"(4 each): the link was cut")
    try:
        raw = base64.urlsafe_b64decode(body)
    except (binascii.Error, ValueError):  # pragma: no cover - every 4-character group of the alphabet decodes
        raise ValueError(f"drawn points {text[:12]!r}… are not valid base64") from None
    levels = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int64)
    X = PLANE[0] + levels[:, :2] * STEP
    if kind == "classes":
        too_high = np.flatnonzero(levels[:, 2] >= MAX_2D_CLASSES)
        if too_high.size:
            i = int(too_high[0])
            raise ValueError(f"drawn point {i + 1} has class {levels[i, 2]}; classes are 0 … {MAX_2D_CLASSES - 1}")
        return Drawing(kind, X, levels[:, 2].copy())
    return Drawing(kind, X, PLANE[0] + levels[:, 2] * STEP)


# ----------------------------------------------------------------------------- the dataset


def to_dataset(drawing: Drawing, *, train_split: float = 0.7, seed: int = 0) -> Dataset:
    """The drawing as a ``Dataset``: "binary" for classes 0 and 1, "multiclass" (k = the highest class + 1) for
    more, "regression" for values. Point i trains when the i-th number drawn from ``seed`` is below
    ``train_split``, so adding a point never moves the points before it between training and test; with two
    points or more, each part gets at least one. Rows keep the order the points were drawn in.

    Raises
    ------
    ValueError
        Fewer than 2 points; classes of only one kind; values that are all the same.
    """
    train_split = check_fraction("train split", train_split, 0.05, 0.95)
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    n = len(drawing)
    if n < 2:
        raise ValueError(f"draw at least 2 points to train on, got {n}")
    if drawing.kind == "classes":
        classes = drawing.classes
        if len(classes) < 2:
            raise ValueError(f"draw points of at least two classes; all {n} are class {classes[0]}")
        k = max(classes) + 1
        problem, n_classes = ("binary", 2) if k == 2 else ("multiclass", k)
    else:
        if np.all(drawing.y == drawing.y[0]):
            raise ValueError(f"the {n} drawn values are all {drawing.y[0]:g}; a regression needs values that differ")
        problem, n_classes = "regression", None
    u = np.random.default_rng(seed).random(n)  # prefix-stable: point i's number does not depend on n
    train = u < train_split
    if train.all():
        train[np.argmax(u)] = False
    elif not train.any():
        train[np.argmin(u)] = True
    X, y = np.array(drawing.X), np.array(drawing.y)
    for a in (X, y):
        a.setflags(write=False)
    what = (f"{len(drawing.classes)} classes" if drawing.kind == "classes" else "values")
    return Dataset(
        DRAWN, TITLE, X[train], y[train], X[~train], y[~train], ("x1", "x2"),
        f"{n} points drawn, {what}, {int(train.sum())} for training, seed {seed}",
        problem=problem, n_classes=n_classes,
    )
