"""L1 and L2 penalties: the objective includes them, biases are spared, and L2 closes an overfitting gap."""

import numpy as np
import pytest

from nnviz import DeepNN, Trainer
from nnviz.core.datasets import make_2d
from nnviz.core.deep_network import with_ones_column
from nnviz.core.regularization import REGULARIZATIONS, get_regularization


def small_model(**kw):
    model = DeepNN(2, (2,), 1, **kw)
    model.params["W1"] = [[1.0, -2.0], [0.5, 0.0]]
    model.params["b1"] = [[3.0], [-4.0]]  # biases: never penalised
    model.params["W2"] = [[-1.0, 2.0]]
    model.params["b2"] = [[5.0]]
    return model


def test_the_penalty_is_on_the_weights_only():
    # L2: λ·Σ½w² = 0.1·½·(1 + 4 + 0.25 + 0 + 1 + 4) = 0.5125;  L1: λ·Σ|w| = 0.1·(1 + 2 + 0.5 + 0 + 1 + 2) = 0.65
    assert small_model(regularization="l2", reg_rate=0.1).penalty() == pytest.approx(0.5125, abs=1e-15)
    assert small_model(regularization="l1", reg_rate=0.1).penalty() == pytest.approx(0.65, abs=1e-15)
    assert small_model().penalty() == 0.0 and small_model(regularization="l2", reg_rate=0.0).penalty() == 0.0


@pytest.mark.parametrize("kind", ["l1", "l2"])
def test_the_objective_and_its_gradient_include_the_penalty(kind):
    X = np.array([[0.3, -1.2, 2.0], [1.1, 0.4, -0.7]])
    Y = np.array([[1.0, 0.0, 1.0]])
    plain, penalised = small_model(), small_model(regularization=kind, reg_rate=0.1)
    for m in (plain, penalised):
        m.forward(X)
        m.backward(X, Y)
    assert penalised.loss(X, Y) == pytest.approx(plain.loss(X, Y) + penalised.penalty(), rel=1e-14)
    assert penalised.compute_loss(Y, penalised.cache["A2"]) == pytest.approx(penalised.loss(X, Y), rel=1e-9)
    W1 = penalised.params["W1"]
    expected = 0.1 * (W1 if kind == "l2" else np.sign(W1))  # sign(0) = 0: a weight at 0 is left alone
    np.testing.assert_allclose(penalised.grads["dW1"] - plain.grads["dW1"], expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(penalised.grads["db1"], plain.grads["db1"])  # biases are spared
    # the fused step reports the objective, and remembers its penalty part
    loss = penalised.train_step(with_ones_column(X.T), Y, 0.1)
    assert loss == pytest.approx(plain.loss(X, Y) + small_model(regularization=kind, reg_rate=0.1).penalty(),
                                 rel=1e-12)
    assert penalised.last_penalty == pytest.approx(small_model(regularization=kind, reg_rate=0.1).penalty())


def test_changing_the_penalty_between_steps():
    model = small_model()
    X, Y = np.array([[0.3], [1.1]]), np.array([[1.0]])
    X1 = with_ones_column(X.T)
    before = model.get_weights()
    loss_plain = model.train_step(X1, Y, 0.1)
    model.set_weights(before)
    model.set_regularization("l2", 1.0)
    assert model.penalised and model.train_step(X1, Y, 0.1) == pytest.approx(loss_plain + 5.125, rel=1e-12)
    model.set_regularization("none")
    assert not model.penalised and model.penalty() == 0.0


def test_l2_shrinks_weights_and_l1_zeroes_many():
    """What the Playground shows: L2 keeps all weights small, L1 drives the useless ones to (about) zero.
    Measured over seeds 0–2 (λ = 0.01): the weights' norm 6.8–8.0 without, 2.9–4.8 with L2; the share of
    weights within 0.01 of zero 1–3 % without, 92–95 % with L1."""
    ds = make_2d("moons", 200, 0.2, 0.7, 0)
    finals = {}
    for kind in ("none", "l1", "l2"):
        model = DeepNN(2, (16, 16), 1, init_scale="glorot", seed=0, regularization=kind, reg_rate=0.01)
        Trainer(model, ds.X_train, ds.y_train, lr=0.1, batch_size=10, epochs=100, seed=0).run()
        finals[kind] = np.concatenate([model.params[f"W{layer}"].ravel() for layer in (1, 2, 3)])
    assert np.linalg.norm(finals["l2"]) < 0.8 * np.linalg.norm(finals["none"])
    near_zero = {k: np.mean(np.abs(w) < 0.01) for k, w in finals.items()}
    assert near_zero["l1"] > 0.5 and near_zero["l1"] > 5 * near_zero["none"], near_zero


def overfit(seed, kind, rate):
    """Moons with noise, 50 training points, a network of 2×32 units trained long: it memorises the noise."""
    ds = make_2d("moons", 100, 0.3, 0.5, seed)
    model = DeepNN(2, (32, 32), 1, init_scale="glorot", seed=seed, optimizer="adam", regularization=kind,
                   reg_rate=rate)
    trainer = Trainer(model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, lr=0.01, batch_size=10, epochs=400,
                      shuffle=True, seed=seed)
    trainer.run()
    r = trainer.history.epochs[-1]
    data_loss_gap = (r.test_loss - (r.penalty or 0.0)) - (r.train_loss - (r.train_penalty or 0.0))
    return r.train_acc - r.test_acc, data_loss_gap


def test_l2_closes_an_overfitting_gap():
    """The page's example: without a penalty the network fits its 50 training points far better than the test
    points; L2 (λ = 0.003) narrows the gap. Measured over seeds 0–7: accuracy gap 0.12 ± 0.04 (sd per run)
    without, 0.01 ± 0.06 with; gap of the data loss (test − train, penalty taken out) 0.56 without, 0.09
    with. Asserted on the means over 8 seeds, with room for rounding to move single runs."""
    without = np.array([overfit(seed, "none", 0.0) for seed in range(8)])
    with_l2 = np.array([overfit(seed, "l2", 0.003) for seed in range(8)])
    assert without[:, 0].mean() > 0.06, without  # it does overfit
    assert with_l2[:, 0].mean() < without[:, 0].mean() - 0.04, (without, with_l2)
    assert with_l2[:, 1].mean() < 0.5 * without[:, 1].mean(), (without, with_l2)


def test_registry_names_and_formulas():
    assert list(REGULARIZATIONS) == ["none", "l1", "l2"]
    assert r"\tfrac{1}{2}" in REGULARIZATIONS["l2"].penalty and "sign" in REGULARIZATIONS["l1"].gradient
    with pytest.raises(ValueError, match="unknown regularization 'dropout'; choose one of none, l1, l2"):
        get_regularization("dropout")
