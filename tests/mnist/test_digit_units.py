"""A drawn digit's hidden units: the 512 activations behind the page's prediction, bit for bit, and the units
that drove the winning class, each with its input weights."""

import numpy as np
import pytest

from nnviz.mnist.data import load_mnist
from nnviz.mnist.dense_net import DenseNet, load_ready
from nnviz.mnist.digit_units import IMAGE_SHAPE, check_digit, digit_units, hidden_activations


@pytest.fixture(scope="module")
def ready():
    net = load_ready()
    assert net is not None, "models/mnist_dense_weights.npz is part of the repository"
    return net


@pytest.fixture(scope="module")
def seven():
    _, (x_test, y_test) = load_mnist()
    return x_test[int(np.flatnonzero(y_test == 7)[0])]


def test_the_activations_are_those_behind_the_pages_prediction_to_the_last_bit(ready, seven):
    d = digit_units(ready, seven)
    # the page shows net.predict(digit): the same probabilities, bit for bit, so the same activations fed them
    np.testing.assert_array_equal(d.probabilities, ready.predict(seven)[0])
    assert d.probabilities.dtype == np.float32 and d.activations.dtype == np.float32
    # a[1] = relu(x/255 · W1 + b1), computed independently in float64: equal within float32 rounding
    x = seven.reshape(784).astype(np.float64) / 255
    expected = np.maximum(x @ ready.W1.astype(np.float64) + ready.b1, 0)
    np.testing.assert_allclose(d.activations, expected, rtol=1e-4, atol=1e-5)
    assert np.array_equal(hidden_activations(ready, seven.reshape(784)), d.activations)  # 784 pixels or 28×28
    assert d.predicted == 7  # the ready model reads MNIST's first test 7


def test_the_image_and_the_sorted_bars_hold_every_unit(ready, seven):
    d = digit_units(ready, seven)
    assert d.image.shape == IMAGE_SHAPE == (16, 32)
    assert d.image[3, 5] == d.activations[3 * 32 + 5]  # unit u at row u // 32, column u % 32
    assert np.all(np.diff(d.sorted_activations) <= 0)
    assert sorted(d.order.tolist()) == list(range(512))
    np.testing.assert_array_equal(d.sorted_activations, np.sort(d.activations)[::-1])
    assert 0 < d.n_active < 512 and d.n_active == int((d.activations > 0).sum())


def test_the_top_units_are_those_that_push_the_winning_class_most(ready, seven):
    d = digit_units(ready, seven, top=10)
    k = d.predicted
    contributions = d.activations.astype(np.float64) * ready.W2[:, k]
    best = np.argsort(-contributions)[:10]
    assert [u.index for u in d.top] == best.tolist()
    for u in d.top:
        assert u.activation == d.activations[u.index] and u.weight == ready.W2[u.index, k]
        assert u.contribution == pytest.approx(u.activation * u.weight, rel=1e-6)
        assert u.contribution > 0
        np.testing.assert_array_equal(u.input_weights, ready.W1[:, u.index].reshape(28, 28))
        assert u.input_weights[9, 14] == ready.W1[9 * 28 + 14, u.index]  # pixel (row 9, column 14)
    # the logit of the winning class is the units' contributions added up, plus its bias
    z = d.activations.astype(np.float64) @ ready.W2 + ready.b2
    assert d.contributions.astype(np.float64).sum() + ready.b2[k] == pytest.approx(z[k], rel=1e-5)


def test_only_units_that_push_towards_the_winner_are_listed():
    # two hidden units: one pushes class 3 up, the other down; the second is never a "driver"
    W1 = np.zeros((784, 2), np.float32)
    W1[:, :] = 0.01
    W2 = np.zeros((2, 10), np.float32)
    W2[0, 3], W2[1, 3] = 2.0, -1.0
    net = DenseNet(W1, np.zeros(2, np.float32), W2, np.zeros(10, np.float32))
    d = digit_units(net, np.full((28, 28), 200, np.uint8), top=2)
    assert d.predicted == 3
    assert [u.index for u in d.top] == [0]
    assert d.contributions[1] < 0


@pytest.mark.parametrize("digit, message", [
    (np.zeros((28, 27)), r"28×28 = 784 pixels, got shape \(28, 27\)"),
    (np.full(784, 256.0), r"pixel 0 \(row 0, column 0\) is 256; pixels are 0 … 255"),
    (np.r_[np.zeros(100), [np.nan], np.zeros(683)], r"pixel 100 \(row 3, column 16\) is nan"),
    (np.r_[np.zeros(30), [-1], np.zeros(753)], r"pixel 30 \(row 1, column 2\) is -1"),
    (np.array(["0"] * 784), "784 pixel values"),
])
def test_a_digit_that_is_not_784_pixels_is_refused_with_the_bad_value(digit, message):
    with pytest.raises(ValueError, match=message):
        check_digit(digit)


def test_a_bad_number_of_top_units_is_refused(ready, seven):
    for top in (0, 513, 2.5, True):
        with pytest.raises(ValueError, match=f"top must be a whole number of units, 1 … 512, got {top!r}"):
            digit_units(ready, seven, top=top)
