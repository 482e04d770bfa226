"""The MNIST dataset without TensorFlow: the loading chain, its validation, digits as data."""


import numpy as np
import pytest

from nnviz.mnist.data import (
    Mnist,
    MnistUnavailable,
    Source,
    digit_csv,
    load_mnist,
    mean_images,
    table_columns,
    validate,
)


def small_set(n_train=50, n_test=20, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8), rng.integers(0, 10, n_train, dtype=np.uint8),
            rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8), rng.integers(0, 10, n_test, dtype=np.uint8))


def failing(reason):
    def fetch():
        raise OSError(reason)
    return fetch


def test_the_chain_skips_a_failing_online_source_and_caches_the_next(tmp_path):
    arrays = small_set()
    cache = tmp_path / "mnist.npz"
    lines = []
    sources = [
        Source("project cache", lambda: np.load(cache), is_cache=True),
        Source("online (fake)", failing("Name or service not known")),
        Source("wheel (fake)", lambda: arrays),
    ]
    data = load_mnist(sources, report=lines.append, cache=cache)
    assert isinstance(data, Mnist) and data.source == "wheel (fake)"
    (x_train, y_train), (x_test, y_test) = data
    np.testing.assert_array_equal(x_train, arrays[0])
    assert any("Name or service not known" in line for line in lines)
    assert cache.exists() and not x_train.flags.writeable
    # the second time, the cache answers
    again = load_mnist([Source("project cache", lambda: tuple(np.load(cache)[k] for k in
                                                              ("x_train", "y_train", "x_test", "y_test")),
                               is_cache=True)], cache=cache)
    assert again.source == "project cache"
    np.testing.assert_array_equal(again[1][1], arrays[3])


def test_every_source_failing_names_each_and_why(tmp_path):
    sources = [Source("a cache", failing("no file at /nowhere"), is_cache=True),
               Source("the internet", failing("timed out")),
               Source("a corrupt wheel", lambda: (np.zeros((5, 28, 27), np.uint8), np.zeros(5, np.uint8),
                                                  np.zeros((5, 28, 28), np.uint8), np.zeros(5, np.uint8)))]
    with pytest.raises(MnistUnavailable) as err:
        load_mnist(sources, cache=tmp_path / "x.npz")
    text = str(err.value)
    assert "a cache: OSError: no file at …" in text and "the internet: OSError: timed out" in text
    assert "a corrupt wheel: ValueError: train images must be uint8 of shape (n, 28, 28)" in text
    assert "/nowhere" not in text  # a page shows this message: it names no server path
    with pytest.raises(MnistUnavailable, match="no file at /nowhere"):  # the command line's set-up step does
        load_mnist(sources, cache=tmp_path / "x.npz", show_paths=True)


def test_what_a_page_is_told_while_mnist_loads_names_no_server_path(tmp_path, monkeypatch):
    """Issue 32, item 13: the first visitor to Data as numbers or MNIST saw "trying project cache (<server
    path>/mnist.npz) …"."""
    from nnviz.mnist import data as mnist

    monkeypatch.setenv("NNVIZ_CACHE", str(tmp_path / "empty cache"))
    monkeypatch.setattr(mnist.Path, "home", lambda: tmp_path / "home")
    real = mnist.default_sources()
    sources = real[:2] + [Source("a wheel (fake)", lambda: small_set())]
    lines = []
    data = load_mnist(sources, report=lines.append)
    told = "\n".join(lines) + data.source
    assert str(tmp_path) not in told and "/" not in told, told
    assert "the project's cache" in told and "saved a copy in the project's cache" in told


def test_validation_knows_the_real_set():
    x = np.zeros((60_000, 28, 28), np.uint8)
    xt = np.zeros((10_000, 28, 28), np.uint8)
    y = np.zeros(60_000, np.uint8)
    yt = np.repeat(np.arange(10, dtype=np.uint8), 1000)
    with pytest.raises(ValueError, match="test label counts"):
        validate(x, y, xt, yt)
    with pytest.raises(ValueError, match="labels must be digits 0 … 9, found 12"):
        validate(x[:3], np.array([1, 2, 12], np.uint8), xt[:2], yt[:2])


def test_the_real_mnist_is_there_and_right():
    data = load_mnist()  # the cache `make test` prepared (or, failing that, the PyPI wheel)
    (x_train, y_train), (x_test, y_test) = data
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert y_train[:5].tolist() == [5, 0, 4, 1, 9]
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert int(y_train[7178]) == 4  # the lesson's digit


def test_digit_as_data():
    img = np.arange(784).reshape(28, 28) % 256
    text = digit_csv(img)
    rows = text.strip().splitlines()
    assert len(rows) == 28 and rows[0].split(";")[:3] == ["0", "1", "2"] and len(rows[0].split(";")) == 28
    cols = table_columns()
    assert cols[:3] == ["label", "1x1", "1x2"] and cols[-1] == "28x28" and len(cols) == 785
    x = np.stack([np.full((28, 28), 10, np.uint8), np.full((28, 28), 30, np.uint8)])
    means = mean_images(x, np.array([3, 3]))
    assert means.shape == (10, 28, 28) and means[3, 0, 0] == 20 and means[0].sum() == 0


def test_the_history_runs_held_out_third_holds_13100_training_images():
    from nnviz.mnist.jobs import HISTORY_EXPERIMENT
    from nnviz.mnist.lesson_runs import held_out_training_images

    assert held_out_training_images(60_000, 10_000, HISTORY_EXPERIMENT["validation_split"]) == 13_100
    assert held_out_training_images(60_000, 10_000, 0.1) == 0  # 7,000 held out: test images only
