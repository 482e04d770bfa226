"""Datasets: the lesson's binary task, 2-D teaching sets, and uploaded CSV files.

Every set comes as a ``Dataset`` with samples in rows (``X_train`` of shape
(m, n_features)), as the lesson's ``fit`` takes them, and its problem: "binary"
(integer labels 0/1), "multiclass" (labels 0 … k−1) or "regression" (a real target).
Everything is reproducible from its arguments and a seed.

2-D sets: the binary ones (``TWO_D``); blobs with k centres and a spiral with k arms
for 3 to 6 classes (``MULTICLASS_2D``); TensorFlow Playground's two regression sets,
a plane and a mixture of Gaussians (``REGRESSION_2D``), on the same ±1.5 square.
"""

from __future__ import annotations

import csv
import itertools
import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from nnviz.core.validation import check_fraction, check_int

LESSON = "lesson"
TWO_D = ("moons", "circles", "xor", "blobs", "spiral")  # two classes
MULTICLASS_2D = ("blobs", "spiral")  # also with 3 … MAX_2D_CLASSES classes
REGRESSION_2D = ("plane", "gauss")
MAX_2D_CLASSES = 6
PROBLEMS = ("binary", "multiclass", "regression")
MAX_CSV_CLASSES = 10  # distinct labels of a multiclass CSV
TITLES = {
    LESSON: "Lesson: 20 features, 5000 samples",
    "moons": "Moons",
    "circles": "Circles",
    "xor": "XOR",
    "blobs": "Gaussian blobs",
    "spiral": "Spiral",
    "plane": "Plane (regression)",
    "gauss": "Gaussians (regression)",
    "draw": "Draw your own",
    "csv": "Uploaded CSV",
}
LABEL_NAMES = ("label", "y", "target", "class")
MAX_CSV_ROWS = 10_000
#: The CSV uploader's limit, checked here too: the browser enforces it, but any client can PUT a larger file.
MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_CSV_COLUMNS = 100
MIN_CSV_ROWS = 10
# Beyond this, squares overflow float64 in the statistics every view needs (standardizing, the PCA view,
# the boundary grid) and NumPy's SVD can hang: such values are refused at the door.
MAX_CSV_MAGNITUDE = 1e100


@dataclass(frozen=True)
class Dataset:
    """A task split into training and test samples.

    ``X_train`` : ndarray of shape (m_train, n_features); ``y_train`` : ndarray of shape (m_train,);
    likewise for the test part. ``problem`` is "binary" (labels 0/1), "multiclass" (labels 0 … n_classes−1)
    or "regression" (real targets; ``n_classes`` is None). ``class_names``, when given, names each label
    (e.g. a CSV's original label values); ``class_labels`` always does.
    """

    name: str
    title: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: tuple[str, ...]
    description: str = ""
    problem: str = "binary"
    n_classes: int | None = 2
    class_names: tuple[str, ...] = ()
    #: A 2-D set whose network sees chosen features (``nnviz.core.features.with_features``): the points in the
    #: plane, as drawn, and the map from points to the network's inputs. None for any other set.
    points_train: np.ndarray | None = None
    points_test: np.ndarray | None = None
    inputs: object | None = None  # an ``InputMap``: points of shape (m, 2) -> inputs of shape (m, n_features)

    @property
    def n_outputs(self) -> int:
        """Output units a network needs: one for binary and regression, one per class otherwise."""
        return self.n_classes if self.problem == "multiclass" else 1

    @property
    def class_labels(self) -> tuple[str, ...]:
        """A name per class label 0 … k−1 (``class_names``, or the numbers); () for a regression."""
        if self.n_classes is None:
            return ()
        return self.class_names or tuple(str(i) for i in range(self.n_classes))

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def n_train(self) -> int:
        return self.X_train.shape[0]

    @property
    def n_test(self) -> int:
        return self.X_test.shape[0]

    @property
    def is_2d(self) -> bool:
        return self.n_features == 2

    @property
    def on_plane(self) -> bool:
        """Whether its samples are points in a plane (a 2-D set, with or without chosen features)."""
        return self.points_train is not None or self.is_2d

    @property
    def plane_train(self) -> np.ndarray:
        """The training samples as points in the plane, shape (m, 2) (``on_plane`` sets only)."""
        return self.X_train if self.points_train is None else self.points_train

    @property
    def plane_test(self) -> np.ndarray:
        return self.X_test if self.points_test is None else self.points_test


@lru_cache(maxsize=1)
def lesson_data() -> Dataset:
    """The lesson's task exactly: ``make_classification(n_samples=5000, n_features=20,
    n_informative=20, n_redundant=0, random_state=123)``; the first 4000 rows train, the last 1000 test."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=5000, n_features=20, n_informative=20, n_redundant=0, random_state=123)
    X.setflags(write=False)
    y.setflags(write=False)
    return Dataset(
        LESSON, TITLES[LESSON], X[:4000], y[:4000], X[4000:], y[4000:],
        tuple(f"x{i + 1}" for i in range(20)),
        "scikit-learn's make_classification, random_state=123: 20 informative features, two classes",
    )


def make_2d(name: str, n_samples: int = 400, noise: float = 0.2, train_split: float = 0.7, seed: int = 0,
            classes: int = 2) -> Dataset:
    """A 2-D teaching set: two classes in the plane (``TWO_D``), blobs or a spiral with 3 to 6 classes
    (``classes``), or a regression surface (``REGRESSION_2D``).

    Parameters
    ----------
    name : {"moons", "circles", "xor", "blobs", "spiral", "plane", "gauss"}
    n_samples : int
        Points in all, 20 … 20 000.
    noise : float
        Standard deviation of the Gaussian jitter on each point, 0 … 1 (the sets span about ±1.5). For the
        regression sets, the target is the surface's value at the jittered point, as in TensorFlow
        Playground: the points stay, their targets get noisy.
    train_split : float
        Share of the points used for training, 0.1 … 0.9; the rest is the test set.
    seed : int
    classes : int, default 2
        Blobs: k centres; spiral: k arms (2 … 6). Other sets have two classes (or none: regression).
    """
    if name not in TWO_D + REGRESSION_2D:
        raise ValueError(f"unknown 2-D dataset {name!r}; choose one of {', '.join(TWO_D + REGRESSION_2D)}")
    n_samples = check_int("number of samples", n_samples, minimum=20, maximum=20_000)
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise <= 1:
        raise ValueError(f"noise must be between 0 and 1, got {noise!r}")
    train_split = check_fraction("train split", train_split, 0.05, 0.95)
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
    classes = check_int("number of classes", classes, minimum=2, maximum=MAX_2D_CLASSES)
    if classes != 2 and name not in MULTICLASS_2D:
        what = "is a regression set: it has no classes" if name in REGRESSION_2D else "has two classes"
        raise ValueError(f"{name} {what}; only {' and '.join(MULTICLASS_2D)} come with 3 to "
                         f"{MAX_2D_CLASSES} classes, got {classes}")
    if name in REGRESSION_2D:
        return _make_regression_2d(name, n_samples, float(noise), train_split, seed)
    if classes > 2:
        return _make_multiclass_2d(name, n_samples, float(noise), train_split, seed, classes)
    return _make_2d(name, n_samples, float(noise), train_split, seed)


@lru_cache(maxsize=64)
def _make_2d(name, n_samples, noise, train_split, seed) -> Dataset:
    rng = np.random.default_rng(seed)
    n0 = n_samples // 2
    y = np.r_[np.zeros(n0, dtype=np.int64), np.ones(n_samples - n0, dtype=np.int64)]
    if name == "moons":
        t = rng.uniform(0, np.pi, n_samples)
        X = np.where(
            y[:, None] == 0,
            np.c_[np.cos(t), np.sin(t)],
            np.c_[1 - np.cos(t), 0.5 - np.sin(t)],
        ) - np.array([0.5, 0.25])
    elif name == "circles":
        t = rng.uniform(0, 2 * np.pi, n_samples)
        r = np.where(y == 0, 1.0, 0.5)
        X = np.c_[r * np.cos(t), r * np.sin(t)]
    elif name == "xor":
        X = rng.uniform(-1, 1, (n_samples, 2))
        X += np.sign(X) * 0.05  # a small gap along the axes keeps the quadrants apart
        y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)
    elif name == "blobs":
        centres = np.array([[-0.8, -0.8], [0.8, 0.8]])
        X = centres[y] + rng.normal(0, 0.35, (n_samples, 2))
    else:  # spiral: two arms, each turned by half a circle from the other
        t = np.sqrt(rng.uniform(0.02, 1, n_samples)) * 2.5 * np.pi
        angle = t + np.pi * y
        X = np.c_[t * np.cos(angle), t * np.sin(angle)] / (2.5 * np.pi) * 1.4
    X = X + rng.normal(0, noise, X.shape)
    order = rng.permutation(n_samples)
    X, y = X[order], y[order]
    n_train = min(max(int(round(n_samples * train_split)), 1), n_samples - 1)
    for a in (X, y):
        a.setflags(write=False)
    return Dataset(
        name, TITLES[name], X[:n_train], y[:n_train], X[n_train:], y[n_train:], ("x1", "x2"),
        f"{n_samples} points, noise {noise:g}, {n_train} for training, seed {seed}",
    )


def _split(rng, X, y, train_split):
    order = rng.permutation(X.shape[0])
    X, y = X[order], y[order]
    n_train = min(max(int(round(X.shape[0] * train_split)), 1), X.shape[0] - 1)
    for a in (X, y):
        a.setflags(write=False)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


#: Blobs with k ≥ 3 centres: centres on a circle, every two neighbours as far apart as the two-class
#: blobs' centres (1.6), each blob as wide (0.35), so that more classes are not harder to tell apart.
BLOB_SPACING, BLOB_SD = 1.6, 0.35


@lru_cache(maxsize=64)
def _make_multiclass_2d(name, n_samples, noise, train_split, seed, k) -> Dataset:
    rng = np.random.default_rng(seed)
    y = np.arange(n_samples, dtype=np.int64) % k  # as even as n_samples allows
    if name == "blobs":
        radius = BLOB_SPACING / 2 / np.sin(np.pi / k)
        angles = 1.25 * np.pi + 2 * np.pi * np.arange(k) / k  # class 0 at the lower left, as with two
        centres = radius * np.c_[np.cos(angles), np.sin(angles)]
        X = centres[y] + rng.normal(0, BLOB_SD, (n_samples, 2))
        title = f"Gaussian blobs, {k} classes"
    else:  # spiral: k arms, each turned by 1/k of a circle from the next, one turn long
        t = np.sqrt(rng.uniform(0.02, 1, n_samples)) * 2 * np.pi
        angle = t + 2 * np.pi * y / k
        X = np.c_[t * np.cos(angle), t * np.sin(angle)] / (2 * np.pi) * 1.4
        title = f"Spiral, {k} arms"
    X = X + rng.normal(0, noise, X.shape)
    X_train, y_train, X_test, y_test = _split(rng, X, y, train_split)
    return Dataset(
        name, title, X_train, y_train, X_test, y_test, ("x1", "x2"),
        f"{n_samples} points in {k} classes, noise {noise:g}, {len(y_train)} for training, seed {seed}",
        problem="multiclass", n_classes=k,
    )


#: TensorFlow Playground's mixture of Gaussians (dataset.ts, regressGaussian), on our ±1.5 square (its ±6 / 4):
#: (centre x1, centre x2, sign); the target is the strongest bump's sign·max(0, 1 − d/0.5) at distance d.
GAUSS_BUMPS = ((-1.0, 0.625, 1), (0.0, 0.625, -1), (1.0, 0.625, 1),
               (-1.0, -0.625, -1), (0.0, -0.625, 1), (1.0, -0.625, -1))


def plane_target(X) -> np.ndarray:
    """The Playground's plane (regressPlane) on the ±1.5 square: 0.4·(x1 + x2), from −1.2 to 1.2."""
    X = np.asarray(X, dtype=float)
    return 0.4 * (X[:, 0] + X[:, 1])


def gauss_target(X) -> np.ndarray:
    """The Playground's six Gaussian bumps (regressGaussian) on the ±1.5 square, from −1 to 1."""
    X = np.asarray(X, dtype=float)
    best = np.zeros(X.shape[0])
    for cx, cy, sign in GAUSS_BUMPS:
        value = sign * np.clip(1 - np.hypot(X[:, 0] - cx, X[:, 1] - cy) / 0.5, 0, 1)
        best = np.where(np.abs(value) > np.abs(best), value, best)
    return best


@lru_cache(maxsize=64)
def _make_regression_2d(name, n_samples, noise, train_split, seed) -> Dataset:
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1.5, 1.5, (n_samples, 2))
    target = plane_target if name == "plane" else gauss_target
    y = target(X + rng.normal(0, noise, X.shape))
    X_train, y_train, X_test, y_test = _split(rng, X, y, train_split)
    return Dataset(
        name, TITLES[name], X_train, y_train, X_test, y_test, ("x1", "x2"),
        f"{n_samples} points, noise {noise:g}, {len(y_train)} for training, seed {seed}",
        problem="regression", n_classes=None,
    )


def standardize(ds: Dataset) -> Dataset:
    """Each feature shifted and scaled to mean 0 and standard deviation 1 on the training part
    (the test part uses the training statistics; a constant feature is only shifted)."""
    mean = ds.X_train.mean(axis=0)
    std = ds.X_train.std(axis=0)
    std[std == 0] = 1.0
    return replace(
        ds, X_train=(ds.X_train - mean) / std, X_test=(ds.X_test - mean) / std,
        description=(ds.description + "; standardized").lstrip("; "),
    )


def parse_csv(data, *, max_rows: int = MAX_CSV_ROWS, train_split: float = 0.8, seed: int = 0,
              name: str = "uploaded.csv", problem: str = "binary", max_bytes: int = MAX_CSV_BYTES) -> Dataset:
    """Parse an uploaded CSV of numeric feature columns and one label (or target) column.

    The label column is the one named ``label``, ``y``, ``target`` or ``class`` (any case),
    else the last. A header row is optional; commas, semicolons and tabs are accepted.
    Rows are shuffled (``seed``) and split into training and test parts.

    ``problem`` says what the label column holds:

    - "binary" (the default): only 0 and 1;
    - "multiclass": whole numbers, 2 … ``MAX_CSV_CLASSES`` different ones, numbered 0 … k−1 in
      increasing order (``class_names`` keeps the file's values: labels 1, 2, 3 become 0, 1, 2);
    - "regression": any numbers, the target;
    - "auto": binary for 0/1 (or any two whole numbers, the smaller as 0), multiclass for up to
      ``MAX_CSV_CLASSES`` whole numbers, regression otherwise.

    Raises
    ------
    ValueError
        With a message a user can act on: an empty or non-text file, too few or too many
        rows or columns, a non-numeric or missing value (row and column named), labels other
        than the problem allows, a single class, or a target that never changes.
    """
    if problem not in PROBLEMS + ("auto",):
        raise ValueError(f"problem must be one of {', '.join(PROBLEMS + ('auto',))}, got {problem!r}")
    max_rows = check_int("row limit", max_rows)
    if len(data) > max_bytes:
        raise ValueError(f"the file is {len(data) / 2**20:.1f} MB; at most {max_bytes / 2**20:.0f} MB are accepted")
    text = _decode(data)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("the file is empty: upload a CSV with numeric feature columns and a 0/1 label column")
    delimiter = max((",", ";", "\t"), key=lambda d: lines[0].count(d))
    rows = csv.reader([line + "\n" for line in lines], delimiter=delimiter)  # a quoted value keeps its line breaks
    try:
        return _parse_rows(rows, max_rows, train_split, seed, name, problem)
    except csv.Error:  # e.g. a quote that is never closed swallows the rest of the file into one value
        opened = next((i for i, line in enumerate(text.splitlines(), 1) if line.count('"') % 2), None)
        if opened is not None:
            raise ValueError(f"line {opened} opens a quoted value (\") that is never closed; "
                             "remove the stray quote or close it") from None
        raise ValueError(f"a value is longer than {csv.field_size_limit():,} characters; "
                         "every cell needs one number") from None


def _parse_rows(rows, max_rows: int, train_split: float, seed: int, name: str, problem: str) -> Dataset:
    first = [cell.strip() for cell in next(rows)]
    has_header = any(not _is_number(cell) for cell in first if cell != "")
    header = first if has_header else [f"column {i + 1}" for i in range(len(first))]
    n_cols = len(header)
    if n_cols < 2:
        raise ValueError(
            f"the file has {n_cols} column; it needs at least one feature column and a label column "
            f"(separated by commas, semicolons or tabs)"
        )
    if n_cols > MAX_CSV_COLUMNS:
        raise ValueError(f"the file has {n_cols} columns; at most {MAX_CSV_COLUMNS} are accepted")
    body = rows if has_header else itertools.chain([first], rows)
    values = []
    for r, row in enumerate(body, start=2 if has_header else 1):
        if len(values) >= max_rows:
            raise ValueError(f"the file has more than {max_rows:,} data rows; keep at most {max_rows:,}")
        if len(row) != n_cols:
            if any("\n" in cell for cell in row):  # a quote that is never closed ate the lines after it
                raise csv.Error("unclosed quote")
            raise ValueError(f"row {r} has {len(row)} value{'s' if len(row) != 1 else ''} but the first row has "
                             f"{n_cols}: every row needs the same columns")
        parsed = []
        for c, cell in enumerate(row):
            cell = cell.strip()
            if cell == "" or cell.lower() in ("nan", "na", "null", "none"):
                raise ValueError(f"row {r}, column {header[c]!r} is empty or NaN; every cell needs a number")
            if not _is_number(cell):
                raise ValueError(f"row {r}, column {header[c]!r}: {cell!r} is not a number")
            value = float(cell)
            if not math.isfinite(value):
                raise ValueError(f"row {r}, column {header[c]!r} is {cell!r}; every cell needs a finite number")
            if abs(value) > MAX_CSV_MAGNITUDE:
                raise ValueError(f"row {r}, column {header[c]!r} is {cell!r}; values must lie within "
                                 f"±{MAX_CSV_MAGNITUDE:.0e} (rescale the column, e.g. use another unit)".replace("e+", "e"))
            parsed.append(value)
        values.append(parsed)
    if len(values) < MIN_CSV_ROWS:
        raise ValueError(f"the file has {len(values)} data rows; at least {MIN_CSV_ROWS} are needed")
    table = np.array(values)
    label_col = next((i for i, h in enumerate(header) if h.strip().lower() in LABEL_NAMES), n_cols - 1)
    labels, problem, n_classes, class_names = _label_column(table[:, label_col], header[label_col], problem)
    features = np.delete(table, label_col, axis=1)
    names = tuple(h for i, h in enumerate(header) if i != label_col)
    train_split = check_fraction("train split", train_split, 0.05, 0.95)
    order = np.random.default_rng(seed).permutation(len(table))
    features, labels = features[order], labels[order]
    n_train = min(max(int(round(len(table) * train_split)), 1), len(table) - 1)
    column = "target column" if problem == "regression" else "label column"
    classes = f", {n_classes} classes" if problem == "multiclass" else ""
    return Dataset(
        "csv", f"{name}", features[:n_train], labels[:n_train], features[n_train:], labels[n_train:], names,
        f"{len(table)} rows, {len(names)} features, {column} {header[label_col]!r}{classes}",
        problem=problem, n_classes=n_classes, class_names=class_names,
    )


def _label_column(labels, column: str, problem: str):
    """The label column checked for ``problem``: (labels as int64 0 … k−1, or the float targets; the problem;
    the number of classes, None for a regression; the class names)."""
    whole = bool(np.all(labels == np.round(labels)))
    values = np.unique(labels)
    if problem == "auto":
        if np.all(np.isin(labels, (0.0, 1.0))):
            problem = "binary"
        elif whole and values.size == 2:
            return (labels == values[1]).astype(np.int64), "binary", 2, tuple(f"{v:g}" for v in values)
        else:
            problem = "multiclass" if whole and values.size <= MAX_CSV_CLASSES else "regression"
    if problem == "binary":
        bad = ~np.isin(labels, (0.0, 1.0))
        if bad.any():
            r = int(np.argmax(bad))
            raise ValueError(
                f"the label column {column!r} must hold only 0 and 1; "
                f"data row {r + 1} has {labels[r]:g}"
            )
        if values.size < 2:
            raise ValueError(
                f"the label column {column!r} holds only the class {int(labels[0])}; "
                "a classifier needs examples of both 0 and 1"
            )
        return labels.astype(np.int64), "binary", 2, ()
    if problem == "regression":
        if values.size < 2:
            raise ValueError(f"the target column {column!r} holds only the value {labels[0]:g}; "
                             "a regression needs a target that varies")
        return labels.astype(float), "regression", None, ()
    if not whole:
        r = int(np.argmax(labels != np.round(labels)))
        raise ValueError(f"the label column {column!r} must hold whole class numbers; data row {r + 1} has "
                         f"{labels[r]:g} (for a continuous target, choose regression)")
    if values.size < 2:
        raise ValueError(f"the label column {column!r} holds only the class {labels[0]:g}; "
                         "a classifier needs examples of at least two classes")
    if values.size > MAX_CSV_CLASSES:
        raise ValueError(f"the label column {column!r} holds {values.size} different classes; at most "
                         f"{MAX_CSV_CLASSES} are accepted (for a continuous target, choose regression)")
    return np.searchsorted(values, labels).astype(np.int64), "multiclass", int(values.size), \
        tuple(f"{v:g}" for v in values)


def _decode(data) -> str:
    if isinstance(data, str):
        return data
    if not isinstance(data, (bytes, bytearray)):
        raise ValueError(f"expected the file's bytes or text, got {type(data).__name__}")
    data = bytes(data)
    for bom, encoding in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                          (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):  # e.g. Excel's "Unicode text": UTF-16 with a byte-order mark, tab-separated
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise ValueError(f"the file starts as {encoding.upper()} text but is not valid "
                                 f"{encoding.upper()}; save it as a CSV (UTF-8) and upload it again") from None
    head = data[:4096 if len(data) > 4096 else len(data) - len(data) % 2]  # whole UTF-16 code units
    for encoding, zeros, text_bytes in (("utf-16-le", head[1::2], head[0::2]), ("utf-16-be", head[0::2], head[1::2])):
        if len(head) >= 8 and not zeros.strip(b"\x00") and b"\x00" not in text_bytes:  # ASCII as UTF-16, no BOM
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise ValueError("the file looks like UTF-16 text but is not valid UTF-16; save it as a CSV "
                                 "(UTF-8) and upload it again") from None
    if b"\x00" in head:
        raise ValueError("the file is not a text CSV (it contains binary data)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError("the file is not UTF-8 text; save it as a CSV (UTF-8) and upload it again") from None


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
