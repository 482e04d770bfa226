"""The numbers behind the lesson pages: the neuron, the activation checks, the loss landscape, the walkthrough."""

import numpy as np
import pytest

from nnviz.core.activations import identity_checks, saturation, softmax_with_temperature
from nnviz.core.datasets import make_2d
from nnviz.core.gradcheck import gradient_check
from nnviz.core.losses import one_weight_landscape
from nnviz.lesson.neuron import (
    INPUTS,
    PRESETS,
    TARGETS,
    XOR_RUN,
    best_single_neuron,
    boundary_segment,
    fire,
    smooth,
    smooth_unit,
    truth_table,
    xor_from_gates,
)
from nnviz.lesson.walkthrough import derivation, lesson_batch, lesson_network


@pytest.mark.parametrize("gate", list(PRESETS))
def test_presets_build_their_gates(gate):
    assert tuple(fire(INPUTS, *PRESETS[gate])) == TARGETS[gate]
    assert all(r.output == r.target for r in truth_table(*PRESETS[gate], gate))


def test_the_neuron_fires_at_the_threshold():
    rows = truth_table(1.0, 1.0, 2.0, "AND")
    assert rows[3].weighted_sum == 2.0 and rows[3].output == 1  # w·x ≥ θ fires
    assert [r.output for r in rows] == [0, 0, 0, 1]


def test_no_single_neuron_computes_xor_but_a_hidden_layer_does():
    best = best_single_neuron("XOR")
    assert best.correct == 3 and best.tried == 17**3
    assert best_single_neuron("XOR", np.linspace(-5, 5, 21)).correct == 3
    assert best_single_neuron("AND").correct == 4
    assert tuple(xor_from_gates()["y = AND(h1, h2)"]) == TARGETS["XOR"]


def test_boundary_segment():
    (a, b) = boundary_segment(1.0, 1.0, 1.5)
    for x, y in (a, b):
        assert x + y == pytest.approx(1.5)
    assert boundary_segment(0.0, 0.0, 1.0) is None
    vertical = boundary_segment(1.0, 0.0, 0.5)
    assert {p[0] for p in vertical} == {0.5}


def test_a_steep_smooth_neuron_approaches_the_step():
    soft = smooth(INPUTS, 1.0, 1.0, 1.5, "sigmoid", steepness=1.0)
    steep = smooth(INPUTS, 1.0, 1.0, 1.5, "sigmoid", steepness=50.0)
    assert np.all((soft > 0) & (soft < 1))
    np.testing.assert_allclose(steep, TARGETS["AND"], atol=1e-10)


def test_identities_hold_to_rounding():
    checks = identity_checks()
    assert len(checks) == 3 and all(err < 1e-8 for _, err in checks)


def test_softmax_temperature():
    p1 = softmax_with_temperature([2.0, 1.0, 0.1], 1.0)
    hot = softmax_with_temperature([2.0, 1.0, 0.1], 10.0)
    cold = softmax_with_temperature([2.0, 1.0, 0.1], 0.1)
    assert p1.sum() == pytest.approx(1) and hot.max() < p1.max() < cold.max()
    assert cold[0] > 0.9999
    with pytest.raises(ValueError, match="temperature must be a finite number > 0, got 0"):
        softmax_with_temperature([1.0], 0)
    with pytest.raises(ValueError, match="scores must be finite"):
        softmax_with_temperature([1.0, float("nan")])


def test_saturation_grows_with_init_scale():
    _, small = saturation("tanh", 1.0, 0.01)
    _, large = saturation("tanh", 1.0, 3.0)
    assert small == 0.0 and large > 0.8
    _, relu = saturation("relu", 1.0, 3.0)
    assert 0.4 < relu < 0.6  # half the ReLUs are off, whatever the scale
    with pytest.raises(ValueError, match="init scale must be a finite number > 0"):
        saturation("tanh", 1.0, 0.0)


def test_least_squares_after_a_sigmoid_is_not_convex_but_cross_entropy_is():
    w = np.linspace(-10, 10, 801)
    mse, bce = one_weight_landscape(w)
    assert np.min(np.diff(bce, 2)) > -1e-12  # convex
    assert np.min(np.diff(mse, 2)) < -1e-6  # somewhere concave


def test_walkthrough_batch_and_the_update_that_lowers_the_loss():
    model = lesson_network(seed=3)
    X, Y = lesson_batch(6)
    assert X.shape == (2, 6) and Y.tolist() == [[0, 1, 1, 0, 0, 1]]
    walk = derivation(model, X, Y)
    assert [s.phase for s in walk][:4] == ["data", "forward", "forward", "loss"]
    assert all(shape == "4×6" for shape in walk[1].shapes) and walk[-1].shapes == ["4×1", "4×1"]
    assert gradient_check(model, X, Y).passed
    before = float(dict(walk[3].values)["J"][0, 0])
    model.update_weights(1.0)
    assert model.loss(X, Y) < before
    with pytest.raises(ValueError, match="batch size must be between 1 and 64"):
        lesson_batch(0)


@pytest.mark.parametrize("k", [0.5, 3.0, 20.0])
def test_the_smooth_neuron_on_the_steps_scale_is_a_sigmoid_for_tanh_too(k):
    grid = np.random.default_rng(0).uniform(-0.5, 1.5, (50, 2))
    as_tanh = smooth_unit(grid, 1.0, -0.5, 0.3, "tanh", k)
    assert np.all((as_tanh >= 0) & (as_tanh <= 1))
    np.testing.assert_allclose(as_tanh, smooth_unit(grid, 1.0, -0.5, 0.3, "sigmoid", 2 * k), atol=1e-12)
    np.testing.assert_array_equal(smooth_unit(grid, 1.0, -0.5, 0.3, "sigmoid", k),
                                  smooth(grid, 1.0, -0.5, 0.3, "sigmoid", k))



def test_the_neuron_pages_xor_run_learns_xor():
    """The Neuron page sends students to this run to see a hidden layer do what one neuron cannot."""
    s = XOR_RUN
    ds = make_2d(s.dataset, s.samples, s.noise, s.train_split / 100, s.seed)
    trainer = s.new_trainer(ds)
    last = trainer.run().epochs[-1]
    assert trainer.done and last.epoch == s.epochs
    from sklearn.linear_model import LogisticRegression

    one_line = LogisticRegression().fit(ds.X_train, ds.y_train.ravel()).score(ds.X_test, ds.y_test.ravel())
    assert last.test_acc >= 0.85 and last.test_acc >= one_line + 0.2  # noise 0.2 blurs the quadrants' edges
