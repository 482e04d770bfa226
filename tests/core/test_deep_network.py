"""DeepNN: the lesson's notation with a layer index, every depth and problem, the lesson's steps kept,
and networks that solve what a teacher shows with them."""

import pickle

import numpy as np
import pytest

from bench.shallow_baseline import ShallowNNBefore
from nnviz import DeepNN, ShallowNN, Trainer
from nnviz.core.activations import HIDDEN_ACTIVATIONS, relu, sigmoid, softmax
from nnviz.core.datasets import lesson_data, make_2d
from nnviz.core.deep_network import MAX_HIDDEN_LAYERS, one_hot, param_names, with_ones_column
from nnviz.core.features import feature_matrix

PROBLEMS = [("binary", 1), ("multiclass", 3), ("regression", 1)]
DEPTHS = [(), (5,), (5, 4), (4, 3, 5), (3, 4, 3, 2), (3, 3, 3, 3, 3), (2, 3, 4, 3, 2, 3)]


def batch(problem, n_input=3, m=7, k=1, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_input, m))
    if problem == "binary":
        Y = (rng.random((1, m)) > 0.5).astype(float)
    elif problem == "multiclass":
        Y = one_hot(rng.integers(0, k, m), k)
    else:
        Y = rng.normal(size=(1, m))
    return X, Y


def test_the_lessons_names_with_a_layer_index():
    model = DeepNN(3, (5, 4), 2)
    assert model.sizes == (3, 5, 4, 2) and model.n_layers == 3 and model.hidden == (5, 4)
    assert model.problem == "multiclass" and model.activation == "tanh"
    assert {k: v.shape for k, v in model.params.items()} == {
        "W1": (5, 3), "b1": (5, 1), "W2": (4, 5), "b2": (4, 1), "W3": (2, 4), "b3": (2, 1)}
    assert all(np.all(model.params[f"b{layer}"] == 0) for layer in (1, 2, 3))
    assert model.n_params == 5 * 4 + 4 * 6 + 2 * 5
    X, Y = batch("multiclass", 3, 8, 2)
    A3 = model.forward(X)
    assert A3.shape == (2, 8)
    np.testing.assert_allclose(A3.sum(axis=0), 1.0)  # softmax columns
    assert {k: v.shape for k, v in model.cache.items()} == {
        "Z1": (5, 8), "A1": (5, 8), "Z2": (4, 8), "A2": (4, 8), "Z3": (2, 8), "A3": (2, 8)}
    model.backward(X, Y)
    assert list(model.grads) == ["dW1", "db1", "dW2", "db2", "dW3", "db3"]
    assert all(model.grads["d" + k].shape == v.shape for k, v in model.params.items())
    assert param_names(3) == ("W1", "b1", "W2", "b2", "W3", "b3")


def test_no_hidden_layer_is_logistic_regression():
    model = DeepNN(2, (), 1, init_scale=0.5, seed=0)
    assert model.sizes == (2, 1) and model.activation is None and list(model.params) == ["W1", "b1"]
    X = np.array([[1.0, -2.0], [0.5, 3.0]])
    Z = model.params["W1"] @ X + model.params["b1"]
    np.testing.assert_allclose(model.predict(X), sigmoid(Z))


def test_one_activation_per_hidden_layer():
    model = DeepNN(2, (3, 4), 1, activation=("relu", "tanh"), init_scale=0.7, seed=1)
    assert model.activation == ("relu", "tanh") and [g.name for g in model.gs] == ["relu", "tanh"]
    X = np.random.default_rng(0).normal(size=(2, 6))
    Z1, A1, Z2, A2, Z3, A3 = model.layers(X)
    np.testing.assert_array_equal(A1, relu(Z1))
    np.testing.assert_array_equal(A2, np.tanh(Z2))
    np.testing.assert_allclose(A3, sigmoid(Z3))


def test_a_regression_network_by_hand():
    # One input, no hidden layer: a = w·x + b with w = 2, b = 1, on x = 1, 2, 3 and y = 3, 4, 8.
    # a = 3, 5, 7;  L = (0² + 1² + (−1)²) / (2·3) = 1/3;  dZ = a − y = 0, 1, −1
    # dW = (0·1 + 1·2 − 1·3) / 3 = −1/3;  db = 0
    model = DeepNN(1, (), 1, problem="regression")
    model.params["W1"] = [[2.0]]
    model.params["b1"] = [[1.0]]
    X, Y = np.array([[1.0, 2.0, 3.0]]), np.array([[3.0, 4.0, 8.0]])
    A = model.forward(X)
    np.testing.assert_array_equal(A, [[3.0, 5.0, 7.0]])
    assert model.compute_loss(Y, A) == pytest.approx(1 / 3, abs=1e-15)
    assert model.loss(X, Y) == pytest.approx(1 / 3, abs=1e-15)
    model.backward(X, Y)
    assert model.grads["dW1"][0, 0] == pytest.approx(-1 / 3, abs=1e-15) and model.grads["db1"][0, 0] == 0
    model.update_weights(0.3)
    assert model.params["W1"][0, 0] == pytest.approx(2.1, abs=1e-15)
    loss = model.train_step(with_ones_column(X.T), Y, 0.3)  # the fused step reports the same loss
    assert loss == pytest.approx(0.5 * np.mean((2.1 * X + 1.0 - Y) ** 2), abs=1e-14)
    with pytest.raises(ValueError, match="a regression network predicts values, not classes"):
        model.predict_classes(X)


@pytest.mark.parametrize("hidden", DEPTHS, ids=lambda h: f"{len(h)}hidden")
@pytest.mark.parametrize("problem, k", PROBLEMS)
def test_fused_step_equals_forward_backward_update_at_every_depth(hidden, problem, k):
    fast = DeepNN(4, hidden, k, problem=problem, activation="tanh", init_scale=0.5, seed=3)
    ref = DeepNN(4, hidden, k, problem=problem, activation="tanh", init_scale=0.5, seed=3)
    X, Y = batch(problem, 4, 11, k, seed=4)
    for _ in range(5):
        loss = fast.train_step(with_ones_column(X.T), Y, 0.7)
        A = ref.forward(X)
        assert loss == pytest.approx(ref.compute_loss(Y, A), rel=1e-10)
        ref.backward(X, Y)
        ref.update_weights(0.7)
    for name in ref.param_names:
        np.testing.assert_allclose(fast.params[name], ref.params[name], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
@pytest.mark.parametrize("regularization", ["none", "l1", "l2"])
@pytest.mark.parametrize("problem, k", PROBLEMS)
def test_fused_step_equals_the_reference_with_every_optimizer_and_penalty(optimizer, regularization, problem, k):
    kw = dict(problem=problem, activation=("relu", "sigmoid"), init_scale=0.5, seed=5, optimizer=optimizer,
              regularization=regularization, reg_rate=0.05)
    fast, ref = DeepNN(3, (6, 4), k, **kw), DeepNN(3, (6, 4), k, **kw)
    X, Y = batch(problem, 3, 9, k, seed=6)
    for _ in range(6):
        loss = fast.train_step(with_ones_column(X.T), Y, 0.05)
        A = ref.forward(X)
        assert loss == pytest.approx(ref.compute_loss(Y, A), rel=1e-10)
        ref.backward(X, Y)
        ref.update_weights(0.05)
    for name in ref.param_names:
        np.testing.assert_allclose(fast.params[name], ref.params[name], rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("n_output", [1, 3])
@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_deep_network_with_one_hidden_layer_takes_the_lessons_steps(n_output, activation):
    """DeepNN with one hidden layer, plain SGD and no penalty is the lesson's ShallowNN, step for step."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(130, 5))
    y = rng.integers(0, max(n_output, 2), 130)
    runs = []
    for model in (ShallowNN(5, 7, n_output, activation=activation, seed=11),
                  DeepNN(5, (7,), n_output, activation=activation, seed=11)):
        trainer = Trainer(model, X, y, lr=0.9, batch_size=16, epochs=30, shuffle=True, seed=2)
        trainer.run()
        runs.append((trainer.history.batch_losses, model))
    (losses_a, a), (losses_b, b) = runs
    np.testing.assert_allclose(losses_a, losses_b, rtol=1e-12)
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_allclose(a.params[name], b.params[name], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("n_output", [1, 4])
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
def test_shallow_network_keeps_the_trajectory_it_had(n_output, activation):
    """ShallowNN runs on DeepNN's code now; its steps are bit for bit those of the code before
    (bench/shallow_baseline.py, a frozen copy): the lesson's run, and every link to it, stays the same run."""
    ds = lesson_data()
    Y = ds.y_train.reshape(1, -1).astype(float) if n_output == 1 else one_hot(ds.y_train * 3 % 4, 4)
    X1 = with_ones_column(ds.X_train[:1000])
    new = ShallowNN(20, 10, n_output, activation=activation, seed=7)
    old = ShallowNNBefore(20, 10, n_output, activation=activation, seed=7)
    with np.errstate(all="ignore"):
        for step in range(200):  # five epochs of the lesson's batch of 100 at its step size 1
            rows = slice(step % 10 * 100, step % 10 * 100 + 100)
            Yb = np.ascontiguousarray(Y[:, rows])
            assert new.train_step(X1[rows], Yb, 1.0) == old.train_step(X1[rows], Yb, 1.0), step
    for name in ("W1", "b1", "W2", "b2"):
        np.testing.assert_array_equal(new.params[name], old.params[name])
    assert new.n_hidden == 10 and new.g.name == activation and new.activation == activation


def test_set_weight_edits_one_entry_and_training_goes_on():
    model = DeepNN(2, (3, 3), 1, seed=0, optimizer="adam")
    X, Y = batch("binary", 2, 8)
    model.train_step(with_ones_column(X.T), Y, 0.1)
    t = model.optimizer.t
    before = model.get_weights()
    model.set_weight("W2", 1, 2, 0.75)
    model.set_weight("b3", 0, 0, -1.5)
    assert model.params["W2"][1, 2] == 0.75 and model.params["b3"][0, 0] == -1.5
    changed = {k for k in before if not np.array_equal(before[k], model.params[k])}
    assert changed == {"W2", "b3"} and np.sum(before["W2"] != model.params["W2"]) == 1
    assert model.optimizer.t == t  # the optimizer's state is kept
    out = model.layers(X)  # the edit is what the network computes with
    np.testing.assert_allclose(out[2], model.params["W2"] @ out[1] + model.params["b2"])
    model.train_step(with_ones_column(X.T), Y, 0.1)
    assert np.isfinite(model.loss(X, Y))


@pytest.mark.parametrize("args, match", [
    (("W4", 0, 0, 1.0), r"unknown parameter 'W4'; the parameters are W1, b1, W2, b2, W3, b3"),
    (("W2", 3, 0, 1.0), r"W2 has 3 rows \(0 … 2\), got row 3"),
    (("b1", 0, 1, 1.0), r"b1 has 1 columns \(0 … 0\), got column 1"),
    (("W1", -1, 0, 1.0), r"got row -1"),
    (("W1", 0, 0, float("nan")), "a weight must be a finite number, got nan"),
    (("W1", 0, 0, "big"), "a weight must be a finite number, got 'big'"),
])
def test_set_weight_names_what_is_wrong(args, match):
    model = DeepNN(2, (3, 3), 1, seed=0)
    before = model.get_weights()
    with pytest.raises(ValueError, match=match):
        model.set_weight(*args)
    assert all(np.array_equal(before[k], model.params[k]) for k in before)


def test_set_weights_and_params_assignment():
    a, b = DeepNN(3, (4, 2), 1, seed=0), DeepNN(3, (4, 2), 1, seed=1)
    b.set_weights(a.get_weights())
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    with pytest.raises(ValueError, match="missing parameters: W3, b3"):
        b.set_weights({k: v for k, v in a.get_weights().items() if not k.endswith("3")})
    with pytest.raises(ValueError, match=r"W2 must have shape \(2, 4\)"):
        b.params["W2"] = np.ones((4, 2))


def test_pickle_leaves_the_scratch_buffers_behind_and_trains_on_identically():
    model = DeepNN(20, (64, 64), 3, seed=0, optimizer="adam", regularization="l2", reg_rate=0.01)
    small = len(pickle.dumps(model))
    X, Y = batch("multiclass", 20, 1000, 3)
    X1 = with_ones_column(X.T)
    model.train_step(X1, Y, 0.01)
    model.logits(X1)
    blob = pickle.dumps(model)
    # weights + Adam's two moments: ~3× the fresh network (whose Adam state is not allocated yet); the
    # batch's buffers (1000 samples × 64 units × 6 arrays) would be ~3 MB more
    assert len(blob) < 3.5 * small
    copy = pickle.loads(blob)
    for _ in range(3):
        assert model.train_step(X1, Y, 0.01) == copy.train_step(X1, Y, 0.01)
    assert all(np.array_equal(model.params[k], copy.params[k]) for k in model.params)
    assert copy.optimizer.t == model.optimizer.t == 4 and copy.regularization == "l2"


@pytest.mark.parametrize("kwargs, match", [
    (dict(hidden=(8,) * 7), r"at most 6 hidden layers, got 7"),
    (dict(hidden=(8, 513)), "units of hidden layer 2 must be at most 512, got 513"),
    (dict(hidden=(0,)), "units of hidden layer 1 must be at least 1, got 0"),
    (dict(hidden=(4, 2.5)), "units of hidden layer 2 must be a whole number, got 2.5"),
    (dict(hidden="8,8"), r"hidden must be a list of layer sizes, e.g. \(8, 8\), got '8,8'"),
    (dict(hidden=(4, 4), activation=("relu",)), r"one activation per hidden layer: 2 layers, got 1"),
    (dict(hidden=(4, 4), activation=("relu", "step")), "activation 'step' cannot train a hidden layer"),
    (dict(hidden=(4,), activation="swish"), "unknown activation 'swish'"),
    (dict(problem="ranking"), "unknown problem 'ranking'; choose one of binary, multiclass, regression"),
    (dict(problem="regression", n_output=2), "a regression network has 1 output unit, got 2"),
    (dict(problem="multiclass", n_output=1), "a multiclass network needs an output unit per class"),
    (dict(optimizer="rmsprop"), "unknown optimizer 'rmsprop'; choose one of sgd, momentum, adam"),
    (dict(regularization="l3"), "unknown regularization 'l3'; choose one of none, l1, l2"),
    (dict(regularization="l2", reg_rate=-0.1), "regularization rate must be a finite number ≥ 0, got -0.1"),
    (dict(init_scale=0), "init scale must be a finite number > 0, got 0"),
])
def test_constructor_names_the_bad_value(kwargs, match):
    kwargs = {"n_input": 2, "hidden": (4,), **kwargs}
    with pytest.raises(ValueError, match=match):
        DeepNN(**kwargs)


def test_six_hidden_layers_of_512_units_are_allowed():
    model = DeepNN(2, (512,) * MAX_HIDDEN_LAYERS, 1, init_scale="glorot", seed=0)
    X, Y = batch("binary", 2, 4)
    assert np.isfinite(model.train_step(with_ones_column(X.T), Y, 0.01))


# ----------------------------------------------------------------------------- what a teacher shows


def train(ds, hidden, *, features=None, optimizer="adam", lr=0.03, epochs=300, seed=0, **kw):
    X_train, X_test = ds.X_train, ds.X_test
    if features:
        X_train, X_test = feature_matrix(X_train, features), feature_matrix(X_test, features)
    model = DeepNN(X_train.shape[1], hidden, ds.n_outputs, problem=ds.problem, init_scale="glorot", seed=seed,
                   optimizer=optimizer, **kw)
    trainer = Trainer(model, X_train, ds.y_train, X_test, ds.y_test, lr=lr, batch_size=10, epochs=epochs,
                      shuffle=True, seed=seed)
    trainer.run()
    return trainer.history.epochs[-1]


def test_two_hidden_layers_solve_the_spiral():
    """Measured over seeds 0–2 (Adam, 300 epochs): test accuracy 0.98, 0.98, 0.97; one hidden layer of two
    units cannot follow the arms (0.73, 0.71, 0.75). Thresholds on the mean, far from both."""
    accs = [train(make_2d("spiral", 400, 0.1, 0.7, seed), (8, 8), seed=seed).test_acc for seed in range(3)]
    assert np.mean(accs) >= 0.95, accs
    few = [train(make_2d("spiral", 400, 0.1, 0.7, seed), (2,), seed=seed).test_acc for seed in range(3)]
    assert np.mean(few) < 0.85, few


def test_two_hidden_layers_solve_the_three_arm_spiral():
    """Measured over seeds 0–2: 0.97, 0.96, 0.94."""
    accs = [train(make_2d("spiral", 600, 0.1, 0.7, seed, classes=3), (16, 16), lr=0.01, seed=seed).test_acc
            for seed in range(3)]
    assert np.mean(accs) >= 0.9, accs


def test_squared_features_replace_the_hidden_layer_on_the_circle():
    """No hidden layer: with x1² and x2² the circle is a line in feature space (measured 0.97–1.0 over seeds);
    with x1, x2 alone no line separates it (0.40–0.48)."""
    squares = [train(make_2d("circles", 400, 0.1, 0.7, seed), (), features="x1,x2,x1sq,x2sq", optimizer="sgd",
                     lr=0.3, epochs=100, seed=seed).test_acc for seed in range(3)]
    assert np.mean(squares) >= 0.95, squares
    plain = [train(make_2d("circles", 400, 0.1, 0.7, seed), (), features="x1,x2", optimizer="sgd", lr=0.3,
                   epochs=100, seed=seed).test_acc for seed in range(3)]
    assert np.mean(plain) < 0.75, plain


def test_four_blobs_are_told_apart():
    """Softmax over 4 classes, no hidden layer (measured 0.96–0.98 over seeds)."""
    accs = [train(make_2d("blobs", 400, 0.2, 0.7, seed, classes=4), (), optimizer="sgd", lr=0.1, epochs=50,
                  seed=seed).test_acc for seed in range(3)]
    assert np.mean(accs) >= 0.9, accs


def test_the_plane_regression_is_learned():
    """Linear output, ½ mean squared error: R² measured 0.985–0.989 over seeds on noise 0.1."""
    records = [train(make_2d("plane", 400, 0.1, 0.7, seed), (), optimizer="sgd", lr=0.03, epochs=50, seed=seed)
               for seed in range(3)]
    assert np.mean([r.test_r2 for r in records]) >= 0.95, records
    assert all(r.test_acc is None and r.train_r2 > 0.9 for r in records)


def test_the_gaussian_mixture_needs_hidden_layers():
    """Measured over seeds: R² 0.74–0.91 with two hidden layers of 8; a linear model cannot fit six bumps
    (0.00–0.04)."""
    deep = [train(make_2d("gauss", 400, 0.0, 0.7, seed), (8, 8), lr=0.01, seed=seed).test_r2 for seed in range(3)]
    flat = [train(make_2d("gauss", 400, 0.0, 0.7, seed), (), lr=0.01, epochs=100, seed=seed).test_r2
            for seed in range(3)]
    assert np.mean(deep) > 0.6 and np.mean(flat) < 0.2, (deep, flat)


def test_softmax_output_is_a_distribution_over_classes():
    model = DeepNN(2, (4,), 5, seed=0, init_scale=3.0)
    X = np.random.default_rng(1).normal(scale=50, size=(2, 20))  # large logits: no overflow
    A = model.predict(X)
    assert np.all(np.isfinite(A)) and np.allclose(A.sum(axis=0), 1)
    np.testing.assert_allclose(A, softmax(model.layers(X)[-2]))
    assert set(model.predict_classes(X)) <= set(range(5))
