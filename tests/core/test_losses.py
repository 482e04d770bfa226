"""Losses stay finite when predictions saturate, and agree with their logit forms."""

import math

import numpy as np

from nnviz.core.activations import sigmoid, softmax
from nnviz.core.losses import (
    binary_cross_entropy,
    binary_cross_entropy_from_logits,
    categorical_cross_entropy,
    categorical_cross_entropy_from_logits,
    mean_squared_error,
)


def test_bce_known_value():
    Y = np.array([[1.0, 0.0]])
    Y_hat = np.array([[0.8, 0.4]])
    expected = -(math.log(0.8) + math.log(0.6)) / 2
    assert math.isclose(binary_cross_entropy(Y, Y_hat), expected, rel_tol=1e-12)


def test_bce_is_finite_when_predictions_saturate():
    Y = np.array([[1.0, 0.0, 1.0, 0.0]])
    Y_hat = np.array([[0.0, 1.0, 1.0, 0.0]])  # two certain and wrong, two certain and right
    loss = binary_cross_entropy(Y, Y_hat)
    assert math.isfinite(loss) and loss > 10


def test_bce_from_logits_is_exact_and_finite():
    Y = np.array([[1.0, 0.0, 1.0, 0.0]])
    Z = np.array([[2.0, -1.0, 0.3, 0.7]])
    assert math.isclose(binary_cross_entropy_from_logits(Y, Z), binary_cross_entropy(Y, sigmoid(Z)), rel_tol=1e-12)
    huge = binary_cross_entropy_from_logits(np.array([[0.0]]), np.array([[1e4]]))
    assert huge == 1e4  # log(1 + e^10000) − 0 = 10000, no overflow


def test_categorical_cross_entropy_and_logits_agree():
    Z = np.array([[2.0, 0.1], [1.0, 0.2], [0.1, 3.0]])
    Y = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]])
    p = softmax(Z, axis=0)
    expected = -(math.log(p[0, 0]) + math.log(p[2, 1])) / 2
    assert math.isclose(categorical_cross_entropy(Y, p), expected, rel_tol=1e-12)
    assert math.isclose(categorical_cross_entropy_from_logits(Y, Z), expected, rel_tol=1e-12)
    assert math.isfinite(categorical_cross_entropy(Y, np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])))


def test_mean_squared_error():
    assert mean_squared_error(np.array([[1.0, 0.0]]), np.array([[0.5, 0.5]])) == 0.25
