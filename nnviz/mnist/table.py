"""MNIST as the lesson's section 1.1.1 shows it: the ``data.head()`` table and a digit saved with ``np.savetxt``.

The lesson reads ``mnist_train.csv`` with pandas — one image per row, its label and then 784 pixel columns
named ``1x1`` … ``28x28`` (row × column) — shows the first five rows, and saves one digit with
``np.savetxt(…, img, delimiter=';')``, whose default number format is ``'%.18e'``: every pixel written as a
float in scientific notation (``0.000000000000000000e+00``, ``2.550000000000000000e+02``).
"""

from __future__ import annotations

import io

import numpy as np

from nnviz.mnist.data import digit_csv, table_columns

#: np.savetxt's default number format, which the lesson's call keeps.
SAVETXT_DEFAULT_FORMAT = "%.18e"
LESSON_DIGIT = 7178  # the training image the lesson looks at and saves with np.savetxt (a 4)


def head(images, labels, n: int = 5) -> tuple[list[str], np.ndarray]:
    """The first ``n`` rows as ``data.head()`` shows them: the column names (``label``, ``1x1`` … ``28x28``)
    and an integer array of shape (n, 785), the label first, then the image flattened row by row."""
    images = np.asarray(images)
    labels = np.asarray(labels).reshape(-1)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"images must have shape (k, 28, 28), got {images.shape}")
    n = min(int(n), images.shape[0])
    rows = np.column_stack([labels[:n], images[:n].reshape(n, -1)]).astype(np.int64)
    return table_columns(), rows


def savetxt_csv(image, *, integers: bool = False) -> str:
    """One 28×28 image as text, 28 lines of 28 values separated by ``;``: with ``integers`` False exactly as the
    lesson's ``np.savetxt(path, img, delimiter=';')`` writes it (``'%.18e'``), else as whole numbers."""
    img = np.asarray(image)
    if img.shape != (28, 28):
        raise ValueError(f"a digit must be 28×28, got {img.shape}")
    if integers:
        return digit_csv(img)
    buf = io.StringIO()
    np.savetxt(buf, img, delimiter=";")  # the lesson's call: the default fmt, '%.18e'
    return buf.getvalue()
