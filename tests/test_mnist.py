"""MNIST without TensorFlow: the loading chain, its validation, digits as data, drawn and uploaded digits."""

import io
import struct
import zlib

import numpy as np
import pytest

from nnviz.mnist import (
    Mnist,
    MnistUnavailable,
    Source,
    canvas_to_gray,
    confusion_matrix,
    digit_csv,
    load_mnist,
    mean_images,
    read_uploaded_image,
    table_columns,
    to_mnist_format,
    twin_job,
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
    assert "a cache: OSError: no file at /nowhere" in text and "the internet: OSError: timed out" in text
    assert "a corrupt wheel: ValueError: train images must be uint8 of shape (n, 28, 28)" in text


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
    m = confusion_matrix([1, 1, 2, 7], [1, 2, 2, 7])
    assert m[1, 1] == 1 and m[1, 2] == 1 and m[7, 7] == 1 and m.sum() == 4


def test_a_vertical_bar_becomes_a_centred_one():
    canvas = np.zeros((280, 280))
    canvas[30:250, 180:200] = 255  # a tall stroke, right of centre
    digit = to_mnist_format(canvas)
    assert digit.dtype == np.uint8 and digit.shape == (28, 28)
    ink = digit > 50
    rows, cols = np.nonzero(ink)
    assert 18 <= rows.max() - rows.min() + 1 <= 20  # scaled to fit 20 pixels
    assert cols.max() - cols.min() + 1 <= 4  # still thin: the aspect ratio is kept
    ys, xs = np.indices(digit.shape)
    w = digit.astype(float)
    assert abs((ys * w).sum() / w.sum() - 13.5) <= 0.6 and abs((xs * w).sum() / w.sum() - 13.5) <= 0.6


def test_an_empty_canvas_has_no_ink():
    assert to_mnist_format(np.zeros((280, 280))).sum() == 0


def test_canvas_rgba_to_gray():
    rgba = np.zeros((10, 10, 4))
    rgba[2:5, 2:5] = [255, 255, 255, 255]
    gray = canvas_to_gray(rgba)
    assert gray[3, 3] == 255 and gray[0, 0] == 0


def png_bytes(array) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.asarray(array, np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def test_an_uploaded_dark_on_light_photo_is_inverted():
    img = np.full((60, 40), 250, np.uint8)
    img[10:50, 18:22] = 20  # a dark stroke on white paper
    gray = read_uploaded_image(png_bytes(img))
    assert gray[30, 20] > 200 and gray[0, 0] < 10


def huge_png_header(width=10_000, height=10_000) -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 100))


@pytest.mark.parametrize("data, match", [
    (b"", "the file is empty"),
    (b"hello, this is text", "not an image"),
    (png_bytes(np.random.default_rng(0).integers(0, 256, (64, 64)))[:900], "broken or truncated"),
    (huge_png_header(), "10000×10000 pixels; at most 4,000,000"),
    (b"GIF89a" + b"\x00" * 50, "not an image|PNG or JPEG"),
])
def test_bad_uploads_get_a_clear_message(data, match):
    with pytest.raises(ValueError, match=match):
        read_uploaded_image(data)


def test_the_numpy_twin_trains_and_reports(tmp_path):
    from nnviz.jobs import Progress, read_progress

    job = twin_job(epochs=2, n_train=300, batch_size=50, arrays=small_set(300, 100))
    outcome = job.target(job.params, str(tmp_path))
    p = Progress(epochs=2)
    read_progress(tmp_path, p)
    assert len(p.history["loss"]) == 2 and len(p.history["val_accuracy"]) == 2 and p.batches_per_epoch == 6
    assert outcome["history"] == p.history and outcome["peak_memory_mb"] > 0
