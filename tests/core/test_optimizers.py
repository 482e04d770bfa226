"""Optimizers: each update is its equations, its state travels with it, and a change of optimizer starts afresh."""

import pickle

import numpy as np
import pytest

from nnviz import DeepNN
from nnviz.core.deep_network import with_ones_column
from nnviz.core.optimizers import OPTIMIZERS, SGD, Adam, Momentum, make_optimizer


def gradients(n=6, steps=5, seed=0):
    return np.random.default_rng(seed).normal(size=(steps, n))


def test_sgd_is_the_lessons_step():
    theta, g = np.array([1.0, -2.0, 0.5]), np.array([0.2, 0.1, -0.4])
    SGD().update(theta, 0.3 * g, 0.3)  # SGD folds the step size: it receives α·dW
    np.testing.assert_array_equal(theta, np.array([1.0, -2.0, 0.5]) - 0.3 * g)


def test_momentum_follows_its_equations():
    theta = np.linspace(-1, 1, 6)
    expected, V = theta.copy(), np.zeros(6)
    opt = Momentum()
    for g in gradients():
        V = 0.9 * V + 0.1 * g  # V_dW = β·V_dW + (1 − β)·dW
        expected = expected - 0.05 * V  # W = W − α·V_dW
        opt.update(theta, g, 0.05)
    np.testing.assert_allclose(theta, expected, rtol=1e-14, atol=1e-16)


def test_adam_follows_its_equations():
    theta = np.linspace(-1, 1, 6)
    expected, V, S = theta.copy(), np.zeros(6), np.zeros(6)
    opt = Adam()
    for t, g in enumerate(gradients(), start=1):
        V = 0.9 * V + 0.1 * g
        S = 0.999 * S + 0.001 * g**2
        V_hat, S_hat = V / (1 - 0.9**t), S / (1 - 0.999**t)
        expected = expected - 0.01 * V_hat / (np.sqrt(S_hat) + 1e-8)
        opt.update(theta, g, 0.01)
    np.testing.assert_allclose(theta, expected, rtol=1e-13, atol=1e-16)
    assert opt.t == 5


def test_adams_first_step_moves_every_weight_by_the_learning_rate():
    """Bias correction at work: whatever the gradient's scale, the first step is α per weight (as the page says)."""
    theta = np.zeros(4)
    Adam().update(theta, np.array([1e-6, -3.0, 250.0, -0.02]), 0.01)
    np.testing.assert_allclose(theta, [-0.01, 0.01, -0.01, 0.01], rtol=1e-2)


def test_switching_optimizer_starts_afresh_and_the_same_name_keeps_the_state():
    model = DeepNN(2, (3,), 1, seed=0, optimizer="momentum")
    X = np.array([[0.5, -1.0, 2.0], [1.0, 0.3, -0.2]])
    Y = np.array([[1.0, 0.0, 1.0]])
    model.train_step(with_ones_column(X.T), Y, 0.1)
    velocity = model.optimizer.V.copy()
    model.set_optimizer("momentum")  # the same: nothing changes
    np.testing.assert_array_equal(model.optimizer.V, velocity)
    model.set_optimizer("adam")
    assert isinstance(model.optimizer, Adam) and model.optimizer.t == 0 and model.optimizer.V is None
    model.set_optimizer("momentum")
    assert model.optimizer.V is None  # a new momentum: no velocity from before
    model.init_weights()  # a fresh run: a fresh state too
    assert model.optimizer.V is None


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_state_pickles_and_resumes_exactly(name):
    opt, theta = make_optimizer(name), np.linspace(-1, 1, 6)
    g = gradients()
    for step in g[:3]:
        opt.update(theta, step, 0.01)
    copy, theta2 = pickle.loads(pickle.dumps(opt)), theta.copy()
    for step in g[3:]:
        opt.update(theta, step, 0.01)
        copy.update(theta2, step, 0.01)
    np.testing.assert_array_equal(theta, theta2)
    assert copy == opt and "_tmp" not in pickle.loads(pickle.dumps(opt)).__dict__


def test_registry_and_validation():
    assert list(OPTIMIZERS) == ["sgd", "momentum", "adam"]
    assert [len(OPTIMIZERS[n].equations) for n in OPTIMIZERS] == [1, 2, 4]
    assert all(r"\alpha" in OPTIMIZERS[n].equations[-1] for n in OPTIMIZERS)
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'; choose one of sgd, momentum, adam"):
        make_optimizer("rmsprop")
    with pytest.raises(ValueError, match=r"momentum β must be between 0.0 and 1.0 \(exclusive\), got 1.5"):
        Momentum(beta=1.5)
    with pytest.raises(ValueError, match="Adam ε must be a finite number > 0, got 0"):
        Adam(eps=0)
    assert repr(Adam()) == "Adam(beta1=0.9, beta2=0.999, eps=1e-08)"
