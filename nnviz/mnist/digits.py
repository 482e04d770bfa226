"""Drawn and uploaded digits, prepared the way MNIST's digits were made, so that the network can read them.

A drawing (white ink on black) or a photo/scan of a digit (usually dark ink on white, inverted here)
becomes a 28×28 uint8 image: cropped to the ink, scaled to fit 20×20, centred by its centre of mass.
This module imports neither Streamlit, Plotly nor TensorFlow.
"""

from __future__ import annotations

import io
import warnings

import numpy as np

MAX_UPLOAD_PIXELS = 4_000_000  # decoding a larger image could take a lot of memory; a digit needs far less
#: The drawing canvas's size in px (the page draws it so); the canvas returns its image at exactly this size.
CANVAS_SIZE = (280, 280)
#: A 280×280 RGBA PNG is at most ~314 KB even stored uncompressed: anything longer is not the canvas's own.
MAX_CANVAS_PNG_BYTES = 400_000
#: Pillow's names of the formats accepted: PNG, JPEG, and the multi-picture JPEG phones write (MPO:
#: the first picture is the photo; the others are previews or depth maps).
FORMATS = ("PNG", "JPEG", "MPO")


def to_mnist_format(gray) -> np.ndarray:
    """A grayscale drawing (white ink on black, any size, values 0 … 255) prepared the way MNIST
    was made: cropped to the ink's bounding box, scaled to fit 20×20 keeping its aspect ratio,
    and placed in 28×28 so that its centre of mass is the centre. Returns uint8 (28, 28);
    all zeros when there is no ink."""
    from PIL import Image

    g = np.asarray(gray, dtype=np.float64)
    if g.ndim != 2:
        raise ValueError(f"expected a 2-D grayscale image, got shape {g.shape}")
    ink = g > 0.1 * max(float(g.max()), 1e-9) if g.max() > 0 else np.zeros_like(g, dtype=bool)
    if not ink.any():
        return np.zeros((28, 28), dtype=np.uint8)
    rows, cols = np.nonzero(ink)
    crop = g[rows.min() : rows.max() + 1, cols.min() : cols.max() + 1]
    h, w = crop.shape
    scale = 20.0 / max(h, w)
    nh, nw = max(1, int(round(h * scale))), max(1, int(round(w * scale)))
    crop8 = np.clip(crop / crop.max() * 255.0, 0, 255).astype(np.uint8)
    small = np.asarray(Image.fromarray(crop8).resize((nw, nh), Image.LANCZOS), dtype=np.float64)
    small = np.clip(small, 0, 255)
    canvas = np.zeros((28, 28))
    top, left = (28 - nh) // 2, (28 - nw) // 2
    canvas[top : top + nh, left : left + nw] = small
    total = canvas.sum()
    if total > 0:
        ys, xs = np.indices(canvas.shape)
        cy, cx = (ys * canvas).sum() / total, (xs * canvas).sum() / total
        dy, dx = int(round(13.5 - cy)), int(round(13.5 - cx))
        canvas = _shift(canvas, dy, dx)
    return np.clip(np.round(canvas), 0, 255).astype(np.uint8)


def _shift(a, dy, dx):
    out = np.zeros_like(a)
    h, w = a.shape
    ys = slice(max(0, dy), min(h, h + dy)), slice(max(0, -dy), min(h, h - dy))
    xs = slice(max(0, dx), min(w, w + dx)), slice(max(0, -dx), min(w, w - dx))
    out[ys[0], xs[0]] = a[ys[1], xs[1]]
    return out


def canvas_image(drawing, size: tuple[int, int] = CANVAS_SIZE) -> np.ndarray | None:
    """The drawing canvas's image as RGBA uint8 of shape (h, w, 4), or None when nothing was drawn yet.

    ``drawing`` is what the canvas returned (its ``image_bytes``: a PNG). The state comes from the browser, and a
    client can send any: a small PNG can decode to gigabytes (docs/decisions/upload-bounds.md). So
    the PNG's header is read first, and anything but a PNG of the canvas's own ``size`` is refused before a
    single pixel is decoded.

    Raises ``ValueError`` naming what was sent.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        png = drawing.image_bytes if hasattr(drawing, "image_bytes") else drawing
    except (ValueError, TypeError) as err:  # e.g. a data URL that is not base64
        raise ValueError(f"the drawing is not an image the canvas makes ({type(err).__name__})") from None
    if png is None:
        return None
    if not isinstance(png, bytes | bytearray) or len(png) > MAX_CANVAS_PNG_BYTES:
        raise ValueError(f"the drawing is {len(png) if hasattr(png, '__len__') else '?'} bytes, more than a "
                         f"{size[0]}×{size[1]} canvas makes")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(png))  # reads the header only
        with img:
            if img.format != "PNG":
                raise ValueError(f"the drawing is {img.format or 'not an image'}, not the canvas's PNG")
            if img.size != size:
                raise ValueError(f"the drawing is {img.size[0]}×{img.size[1]} pixels; the canvas is "
                                 f"{size[0]}×{size[1]}")
            rgba = np.asarray(img.convert("RGBA"), dtype=np.uint8)
    except UnidentifiedImageError:
        raise ValueError("the drawing is not an image") from None
    except (OSError, SyntaxError, Image.DecompressionBombError) as err:
        raise ValueError(f"the drawing could not be read: {err}") from None
    return rgba


def canvas_to_gray(rgba) -> np.ndarray:
    """The drawing canvas's RGBA image data (white strokes on a black background) as grayscale 0 … 255."""
    rgba = np.asarray(rgba, dtype=np.float64)
    if rgba.ndim != 3 or rgba.shape[2] < 3:
        raise ValueError(f"expected RGBA image data of shape (h, w, 4), got {rgba.shape}")
    gray = rgba[..., :3].mean(axis=2)
    if rgba.shape[2] == 4:
        gray = gray * (rgba[..., 3] / 255.0)
    return gray


def _flatten(img) -> np.ndarray:
    """Grayscale 0 … 255 of a decoded image; a transparent one is laid on the background that contrasts
    with its ink (white under dark ink, black under light ink), so that the ink shows either way."""
    has_alpha = img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info)
    if not has_alpha:
        return np.asarray(img.convert("L"), dtype=np.float64)
    la = np.asarray(img.convert("LA"), dtype=np.float64)
    gray, alpha = la[..., 0], la[..., 1] / 255.0
    if alpha.max() == 0:
        raise ValueError("the image is fully transparent: there is no digit to read in it")
    ink_level = float((gray * alpha).sum() / alpha.sum())  # the mean brightness of what is drawn
    background = 255.0 if ink_level < 128 else 0.0
    return gray * alpha + background * (1.0 - alpha)


def read_uploaded_image(data: bytes) -> np.ndarray:
    """An uploaded PNG/JPEG (or a phone's multi-picture JPEG) as grayscale with white ink on black:
    inverted if the background is light; a transparent image is laid on a contrasting background first.

    Raises ``ValueError`` with a clear message for a file that is not an image, is broken or
    truncated, is too large to decode safely, is fully transparent, or is one flat colour.
    """
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ValueError("the file is empty")
    try:
        with warnings.catch_warnings():  # the size is checked below, before any decoding
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
        with img:
            if img.format not in FORMATS:
                raise ValueError(f"expected a PNG or JPEG image, got {img.format or 'an unknown format'}")
            w, h = img.size
            if w * h > MAX_UPLOAD_PIXELS:
                raise ValueError(f"the image is {w}×{h} pixels; at most {MAX_UPLOAD_PIXELS:,} pixels are accepted "
                                 "— crop it to the digit")
            img.load()  # a multi-picture file opens at its first picture: the photo
            gray = _flatten(img)
    except UnidentifiedImageError:
        raise ValueError("the file is not an image PNG or JPEG can be read from") from None
    except (OSError, SyntaxError, Image.DecompressionBombError) as err:
        raise ValueError(f"the image could not be read (broken or truncated file): {err}") from None
    if gray.max() - gray.min() < 8:
        raise ValueError("the image is one flat colour: there is no digit to read in it")
    # MNIST digits are light ink on a dark background; photos and scans are usually the reverse
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if border.mean() > 127:
        gray = 255.0 - gray
    return gray
