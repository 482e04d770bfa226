"""A drawn digit's hidden units: what the lesson's MNIST network (Dense(512, relu) → Dense(10, softmax)) computes
inside for one digit, from its exported NumPy weights (``nnviz.mnist.dense_net.DenseNet``; no TensorFlow).

For a digit x (784 pixels, 0 … 255), with Keras's row layout (``dense_net`` says why the matrices are the
lesson's W[l] transposed)::

    a = relu(x/255 · W1 + b1)            the 512 hidden activations a[1]
    z = a · W2 + b2,  p = softmax(z)      the 10 logits and probabilities; the prediction k = argmax p

The logit of the winning class is a sum over the hidden units, z_k = Σ_u a_u · W2[u, k] + b2[k]: each unit's
*contribution* a_u · W2[u, k] is how much it pushed the network towards k. The units with the largest
contributions are the features the network used for this digit; each one's input weights W1[:, u], as a
28×28 image, show the pattern of ink it responds to.

``digit_units`` computes the activations with exactly the operations of ``DenseNet.predict`` (float32, one
row), so they are bit for bit the ones behind the prediction the page shows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnviz.mnist.dense_net import DenseNet

#: The 512 hidden units laid out as an image: 16 rows of 32, unit u at row u // 32, column u % 32.
IMAGE_SHAPE = (16, 32)
#: How many of the strongest units ``digit_units`` describes by default.
TOP_UNITS = 8


@dataclass(frozen=True)
class Unit:
    """One hidden unit u of the MNIST network, for one digit.

    ``activation`` is a_u; ``weight`` is W2[u, k], its weight to the winning class k; ``contribution`` their
    product (its share of the logit z_k); ``input_weights`` of shape (28, 28) is W1[:, u], the pattern it
    responds to (positive where ink raises its activation)."""

    index: int
    activation: float
    weight: float
    contribution: float
    input_weights: np.ndarray


@dataclass(frozen=True)
class DigitUnits:
    """What the network computes inside for one digit.

    Attributes
    ----------
    activations : ndarray of shape (n_hidden,), float32
        a[1], unit by unit (the 512 hidden activations of the lesson's network).
    probabilities : ndarray of shape (10,), float32
        The prediction, equal to ``DenseNet.predict`` of the same digit.
    predicted : int
        The winning class k.
    contributions : ndarray of shape (n_hidden,), float32
        a_u · W2[u, k] for every unit u.
    top : tuple of Unit
        The units with the largest contributions to k, largest first (only units that pushed towards k).
    """

    activations: np.ndarray
    probabilities: np.ndarray
    predicted: int
    contributions: np.ndarray
    top: tuple[Unit, ...]

    @property
    def image(self) -> np.ndarray:
        """The activations as a 16×32 image (unit u at row u // 32, column u % 32); for the lesson's 512 units."""
        return self.activations.reshape(IMAGE_SHAPE)

    @property
    def order(self) -> np.ndarray:
        """Unit indices from the most to the least active (ties in index order)."""
        return np.argsort(-self.activations, kind="stable")

    @property
    def sorted_activations(self) -> np.ndarray:
        """The activations from the largest down: the sorted bars."""
        return self.activations[self.order]

    @property
    def n_active(self) -> int:
        """How many units fire at all (a ReLU unit is 0 for most digits)."""
        return int(np.count_nonzero(self.activations > 0))


def check_digit(digit) -> np.ndarray:
    """``digit`` (a (28, 28) image or 784 pixels, values 0 … 255) as one row of shape (1, 784); a ``ValueError``
    names a wrong size or a value that is not a pixel."""
    a = np.asarray(digit)
    if a.dtype.kind not in "uif":
        raise ValueError(f"a digit is 784 pixel values (0 … 255), got an array of {a.dtype}")
    if a.size != 784:
        raise ValueError(f"a digit is 28×28 = 784 pixels, got shape {a.shape}")
    flat = a.reshape(1, 784)
    bad = ~np.isfinite(flat) | (flat < 0) | (flat > 255)
    if bad.any():
        i = int(np.argmax(bad.ravel()))
        raise ValueError(f"pixel {i} (row {i // 28}, column {i % 28}) is {flat.ravel()[i].item():g}; pixels are 0 … 255")
    return flat


def hidden_activations(net: DenseNet, digit) -> np.ndarray:
    """The hidden activations a[1] of shape (n_hidden,), float32, for one digit: ``DenseNet.predict``'s own
    operations, so equal to the last bit to the activations behind its prediction."""
    X = check_digit(digit).astype(np.float32) / np.float32(255.0)
    return np.maximum(X @ net.W1 + net.b1, 0.0)[0]


def digit_units(net: DenseNet, digit, top: int = TOP_UNITS) -> DigitUnits:
    """The hidden activations of ``net`` for ``digit`` (a (28, 28) image or 784 pixels, 0 … 255), its prediction,
    and the ``top`` units that drive the winning class most (activation × weight to it), with their input-weight
    images.

    Raises
    ------
    ValueError
        For a digit that is not 784 pixel values in 0 … 255, or ``top`` outside 1 … n_hidden.
    """
    n_hidden = net.W1.shape[1]
    if isinstance(top, bool) or not isinstance(top, (int, np.integer)) or not 1 <= top <= n_hidden:
        raise ValueError(f"top must be a whole number of units, 1 … {n_hidden}, got {top!r}")
    A1 = hidden_activations(net, digit)
    # predict's remaining steps, on the same row: its probabilities, bit for bit
    Z2 = A1[None, :] @ net.W2 + net.b2
    Z2 -= Z2.max(axis=1, keepdims=True)
    E = np.exp(Z2)
    probabilities = (E / E.sum(axis=1, keepdims=True))[0]
    k = int(np.argmax(probabilities))
    contributions = A1 * net.W2[:, k]
    ranked = np.argsort(-contributions, kind="stable")[:top]
    units = tuple(
        Unit(int(u), float(A1[u]), float(net.W2[u, k]), float(contributions[u]), net.W1[:, u].reshape(28, 28))
        for u in ranked if contributions[u] > 0
    )
    return DigitUnits(A1, probabilities, k, contributions, units)
