"""Datasets: the lesson's binary task, 2-D teaching sets, and uploaded CSV files.

Every set comes as a ``Dataset`` with samples in rows (``X_train`` of shape
(m, n_features)), as the lesson's ``fit`` takes them, and integer labels 0/1.
Everything is reproducible from its arguments and a seed.
"""

from __future__ import annotations

import csv
import itertools
import math
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np

from nnviz.validation import check_fraction, check_int

LESSON = "lesson"
TWO_D = ("moons", "circles", "xor", "blobs", "spiral")
TITLES = {
    LESSON: "Lesson: 20 features, 5000 samples",
    "moons": "Moons",
    "circles": "Circles",
    "xor": "XOR",
    "blobs": "Gaussian blobs",
    "spiral": "Spiral",
    "csv": "Uploaded CSV",
}
LABEL_NAMES = ("label", "y", "target", "class")
MAX_CSV_ROWS = 10_000
#: The CSV uploader's limit, checked here too: the browser enforces it, but any client can PUT a larger file
#: (a 9.9 MB file trained).
MAX_CSV_BYTES = 5 * 1024 * 1024
MAX_CSV_COLUMNS = 100
MIN_CSV_ROWS = 10
# Beyond this, squares overflow float64 in the statistics every view needs (standardizing, the PCA view,
# the boundary grid) and NumPy's SVD can hang: such values are refused at the door.
MAX_CSV_MAGNITUDE = 1e100


@dataclass(frozen=True)
class Dataset:
    """A binary classification task split into training and test samples.

    ``X_train`` : ndarray of shape (m_train, n_features); ``y_train`` : ndarray of shape (m_train,);
    likewise for the test part.
    """

    name: str
    title: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    feature_names: tuple[str, ...]
    description: str = ""

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


def make_2d(name: str, n_samples: int = 400, noise: float = 0.2, train_split: float = 0.7, seed: int = 0) -> Dataset:
    """A 2-D teaching set: two classes in the plane.

    Parameters
    ----------
    name : {"moons", "circles", "xor", "blobs", "spiral"}
    n_samples : int
        Points in all, 20 … 20 000.
    noise : float
        Standard deviation of the Gaussian jitter on each point, 0 … 1 (the sets span about ±1.5).
    train_split : float
        Share of the points used for training, 0.1 … 0.9; the rest is the test set.
    seed : int
    """
    if name not in TWO_D:
        raise ValueError(f"unknown 2-D dataset {name!r}; choose one of {', '.join(TWO_D)}")
    n_samples = check_int("number of samples", n_samples, minimum=20, maximum=20_000)
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise <= 1:
        raise ValueError(f"noise must be between 0 and 1, got {noise!r}")
    train_split = check_fraction("train split", train_split, 0.05, 0.95)
    seed = check_int("seed", seed, minimum=0, maximum=2**32 - 1)
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
              name: str = "uploaded.csv", max_bytes: int = MAX_CSV_BYTES) -> Dataset:
    """Parse an uploaded CSV of numeric feature columns and one 0/1 label column.

    The label column is the one named ``label``, ``y``, ``target`` or ``class`` (any case),
    else the last. A header row is optional; commas, semicolons and tabs are accepted.
    Rows are shuffled (``seed``) and split into training and test parts.

    Raises
    ------
    ValueError
        With a message a user can act on: an empty or non-text file, too few or too many
        rows or columns, a non-numeric or missing value (row and column named), labels other
        than 0/1, or a single class.
    """
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
        return _parse_rows(rows, max_rows, train_split, seed, name)
    except csv.Error:  # e.g. a quote that is never closed swallows the rest of the file into one value
        opened = next((i for i, line in enumerate(text.splitlines(), 1) if line.count('"') % 2), None)
        if opened is not None:
            raise ValueError(f"line {opened} opens a quoted value (\") that is never closed; "
                             "remove the stray quote or close it") from None
        raise ValueError(f"a value is longer than {csv.field_size_limit():,} characters; "
                         "every cell needs one number") from None


def _parse_rows(rows, max_rows: int, train_split: float, seed: int, name: str) -> Dataset:
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
    labels = table[:, label_col]
    bad = ~np.isin(labels, (0.0, 1.0))
    if bad.any():
        r = int(np.argmax(bad))
        raise ValueError(
            f"the label column {header[label_col]!r} must hold only 0 and 1; "
            f"data row {r + 1} has {labels[r]:g}"
        )
    if np.unique(labels).size < 2:
        raise ValueError(
            f"the label column {header[label_col]!r} holds only the class {int(labels[0])}; "
            "a classifier needs examples of both 0 and 1"
        )
    features = np.delete(table, label_col, axis=1)
    names = tuple(h for i, h in enumerate(header) if i != label_col)
    train_split = check_fraction("train split", train_split, 0.05, 0.95)
    order = np.random.default_rng(seed).permutation(len(table))
    features, labels = features[order], labels[order].astype(np.int64)
    n_train = min(max(int(round(len(table) * train_split)), 1), len(table) - 1)
    return Dataset(
        "csv", f"{name}", features[:n_train], labels[:n_train], features[n_train:], labels[n_train:], names,
        f"{len(table)} rows, {len(names)} features, label column {header[label_col]!r}",
    )


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
