"""The gradient check covers every depth, hidden activation, loss, penalty and optimizer path of DeepNN."""

import dataclasses

import numpy as np
import pytest

from nnviz import DeepNN
from nnviz.core.activations import HIDDEN_ACTIVATIONS
from nnviz.core.deep_network import one_hot
from nnviz.core.gradcheck import gradient_check, optimizer_gradient_check
from nnviz.core.regularization import REGULARIZATIONS

PROBLEMS = [("binary", 1), ("multiclass", 3), ("regression", 1)]


def data(problem, k, n_input=3, m=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_input, m))
    if problem == "binary":
        return X, (rng.random((1, m)) > 0.5).astype(float)
    if problem == "multiclass":
        return X, one_hot(rng.integers(0, k, m), k)
    return X, rng.normal(size=(1, m))


def with_biases(model, seed=0):
    """Biases start at zero; then a ReLU unit that is off for a sample (A = 0) hands the next layer Z = b = 0
    exactly, on the kink, where a central difference averages two slopes. Random biases keep off it."""
    rng = np.random.default_rng(seed)
    for name in model.param_names:
        if name.startswith("b"):
            model.params[name] = rng.normal(0, 0.3, model.params[name].shape)
    return model


def away_from_zero(model, margin=0.05):
    """L1's |w| has no derivative at 0: keep every weight at least ``margin`` from it (as the check needs)."""
    for name in model.param_names:
        if name.startswith("W"):
            W = model.params[name]
            model.params[name] = np.where(W >= 0, W + margin, W - margin)
    return model


@pytest.mark.parametrize("n_hidden_layers", range(7))
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("problem, k", PROBLEMS)
def test_backward_matches_central_differences(n_hidden_layers, activation, problem, k):
    # Sigmoid's slope is at most 1/4: through 6 layers of small weights the gradient of W1 vanishes to the size of
    # the central difference's rounding (1e-11), and a relative error means nothing. Larger weights keep it (and
    # four units a layer keep a path open through leaky ReLUs). Worst relative error measured: 4e-9.
    scale = 2.0 if activation == "sigmoid" else 0.8
    model = with_biases(DeepNN(3, (4,) * n_hidden_layers, k, problem=problem, activation=activation,
                               init_scale=scale, seed=1))
    X, Y = data(problem, k)
    check = gradient_check(model, X, Y)
    assert check.passed, {p.name: p.rel_error for p in check.params}
    assert [p.name for p in check.params] == list(model.param_names)
    assert all(p.n_checked == p.n_total for p in check.params)


@pytest.mark.parametrize("n_hidden_layers", [0, 1, 3])
@pytest.mark.parametrize("regularization", ["l1", "l2"])
@pytest.mark.parametrize("problem, k", PROBLEMS)
def test_the_penalty_is_in_the_gradient(n_hidden_layers, regularization, problem, k):
    model = away_from_zero(with_biases(DeepNN(3, (4,) * n_hidden_layers, k, problem=problem, init_scale=0.5,
                                              seed=2, regularization=regularization, reg_rate=0.3)))
    X, Y = data(problem, k, seed=1)
    check = gradient_check(model, X, Y)
    assert check.passed, {p.name: p.rel_error for p in check.params}


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("regularization", ["none", "l1", "l2"])
@pytest.mark.parametrize("problem, k", PROBLEMS)
def test_each_optimizer_receives_the_objectives_gradient(optimizer, regularization, problem, k):
    """The fused train_step (what the Trainer runs) hands the optimizer ∇J: loss and penalty, every layer."""
    model = away_from_zero(with_biases(DeepNN(3, (4, 3), k, problem=problem, activation="tanh", init_scale=0.5,
                                              seed=3, optimizer=optimizer, regularization=regularization,
                                              reg_rate=0.2)))
    X, Y = data(problem, k, seed=2)
    before = model.get_weights()
    check = optimizer_gradient_check(model, X, Y, lr=0.1)
    assert check.passed, {p.name: p.rel_error for p in check.params}
    assert all(np.array_equal(before[k], model.params[k]) for k in before)  # the step was taken on a copy


def test_the_check_catches_a_wrong_gradient_in_a_deep_layer(monkeypatch):
    model = DeepNN(3, (4, 4, 4), 1, init_scale=0.5, seed=0)
    X, Y = data("binary", 1)
    original = DeepNN.backward

    def broken(self, X, Y):
        original(self, X, Y)
        self.grads["dW2"] = self.grads["dW2"] * 1.01  # a 1 % error in the middle of the network

    monkeypatch.setattr(DeepNN, "backward", broken)
    check = gradient_check(model, X, Y)
    assert not check.passed
    assert check["W2"].rel_error > 1e-3 and check["W1"].rel_error < 1e-6 and check["W4"].rel_error < 1e-6


def test_both_checks_catch_a_penalty_gradient_that_does_not_match_the_penalty(monkeypatch):
    wrong = dataclasses.replace(REGULARIZATIONS["l2"], der=lambda w, out=None: np.multiply(w, 1.01, out=out))
    monkeypatch.setitem(REGULARIZATIONS, "l2", wrong)  # λ·1.01·W as the gradient of λ·Σ½w²
    model = away_from_zero(DeepNN(3, (4,), 1, init_scale=0.5, seed=0, regularization="l2", reg_rate=0.5))
    X, Y = data("binary", 1)
    assert not gradient_check(model, X, Y).passed
    assert not optimizer_gradient_check(model, X, Y).passed
