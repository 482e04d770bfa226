"""Drawn and uploaded digits: MNIST's preprocessing, photos and scans, phones' multi-picture JPEGs,
transparent PNGs, and bad files that must get a clear message."""

import io
import struct
import zlib

import numpy as np
import pytest

from nnviz.mnist.digits import canvas_to_gray, read_uploaded_image, to_mnist_format


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


def a_seven(ink=20, paper=250, size=(80, 60)) -> np.ndarray:
    img = np.full(size, paper, np.uint8)
    img[10:16, 10:50] = ink  # the bar
    img[16:70, 40:46] = ink  # the stem
    return img


def test_a_phones_multi_picture_jpeg_is_read_from_its_first_picture():
    from PIL import Image

    photo = Image.fromarray(a_seven()).convert("RGB")
    preview = Image.new("RGB", photo.size, "black")  # a second picture that must not be read
    buf = io.BytesIO()
    photo.save(buf, format="MPO", save_all=True, append_images=[preview])
    assert Image.open(io.BytesIO(buf.getvalue())).format == "MPO"
    gray = read_uploaded_image(buf.getvalue())
    assert gray[40, 42] > 180 and gray[60, 10] < 40  # the stroke, inverted to white ink on black


def rgba_png(gray_ink: int, alpha: np.ndarray) -> bytes:
    from PIL import Image

    rgba = np.zeros(alpha.shape + (4,), np.uint8)
    rgba[..., :3] = gray_ink
    rgba[..., 3] = alpha
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    return buf.getvalue()


@pytest.mark.parametrize("ink", [0, 255])
def test_a_transparent_png_shows_its_ink_whatever_its_colour(ink):
    alpha = np.where(a_seven(ink=255, paper=0) > 0, 255, 0).astype(np.uint8)  # ink opaque, paper transparent
    gray = read_uploaded_image(rgba_png(ink, alpha))
    assert gray[40, 42] > 200 and gray[60, 10] < 10
    digit = to_mnist_format(gray)
    assert digit.max() > 200 and (digit > 50).sum() > 20


@pytest.mark.parametrize("alpha, match", [
    (np.zeros((50, 50), np.uint8), "fully transparent"),
    (np.full((50, 50), 255, np.uint8), "one flat colour"),
])
def test_an_image_without_a_digit_is_named_as_such(alpha, match):
    with pytest.raises(ValueError, match=match):
        read_uploaded_image(rgba_png(0, alpha))


def blank_png(w, h, mode="RGBA") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new(mode, (w, h)).save(buf, format="PNG")
    return buf.getvalue()


def test_the_canvas_image_is_read_at_the_canvas_size():
    from nnviz.mnist.digits import CANVAS_SIZE, canvas_image

    rgba = canvas_image(blank_png(*CANVAS_SIZE))
    assert rgba.shape == (CANVAS_SIZE[1], CANVAS_SIZE[0], 4) and rgba.dtype == np.uint8
    assert canvas_image(None) is None


@pytest.mark.parametrize("data, match", [
    (blank_png(5000, 5000), "5000×5000 pixels; the canvas is 280×280"),
    (blank_png(280, 281), "280×281"),
    (b"GIF89a" + b"\0" * 100, "not an image|GIF"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "could not be read|not an image"),
    (b"x" * 500_000, "more than a 280×280 canvas makes"),
])
def test_a_canvas_state_that_is_not_the_canvas_own_image_is_refused_before_decoding(data, match):
    """Issue 32, item 2: a crafted canvas state carrying a 5000×5000 PNG (94 KB on the wire) grew the server by
    1.2-1.4 GB in 6 s; 9000×9000 by 4.4 GB."""
    import tracemalloc

    from nnviz.mnist.digits import canvas_image

    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=match):
            canvas_image(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5 * 2**20  # nothing the size of the image was decoded


def test_the_canvas_result_is_read_through_its_blank_png():
    from nnviz.mnist.digits import canvas_image

    class Result:  # as streamlit-drawable-canvas returns it
        image_bytes = blank_png(280, 280)

    class Broken:
        @property
        def image_bytes(self):
            raise ValueError("not enough values to unpack")  # a data URL without ";base64,"

    assert canvas_image(Result()).shape == (280, 280, 4)
    with pytest.raises(ValueError, match="not an image the canvas makes"):
        canvas_image(Broken())
