"""The Trainer on any DeepNN: changes during a run are recorded and replayed, regression and penalties reported."""

import math
import pickle

import numpy as np
import pytest

from nnviz import Change, DeepNN, ShallowNN, Trainer
from nnviz.core.datasets import make_2d


def make(ds=None, schedule=(), epochs=6, hidden=(6, 5), optimizer="sgd", lr=0.5, **kw):
    ds = ds or make_2d("moons", n_samples=300, noise=0.1, seed=1)
    model = DeepNN(2, hidden, ds.n_outputs, problem=ds.problem, init_scale=0.5, seed=0, optimizer=optimizer, **kw)
    return Trainer(model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, lr=lr, batch_size=32, epochs=epochs,
                   shuffle=True, seed=3, schedule=schedule)


def test_a_learning_rate_changed_mid_run_is_recorded_and_replayed_to_the_same_weights():
    first = make()
    first.run(steps=10)  # 7 steps an epoch: in the middle of the second epoch
    first.set_lr(0.05)
    first.run()
    assert first.schedule == [Change(step=10, epoch=1, what="lr", old=0.5, new=0.05)]
    assert first.schedule[0].label() == "lr 0.5 → 0.05"
    replay = make(schedule=first.schedule)
    replay.run()
    assert replay.schedule == first.schedule
    np.testing.assert_array_equal(replay.history.batch_losses, first.history.batch_losses)
    for k in first.model.params:
        np.testing.assert_array_equal(replay.model.params[k], first.model.params[k])
    plain = make()
    plain.run()  # the change made a difference
    assert not np.array_equal(plain.model.params["W1"], first.model.params["W1"])
    assert np.array_equal(plain.history.batch_losses[:10], first.history.batch_losses[:10])


def changed_run(steps_between):
    """A run with every kind of change, some mid-epoch, one at an epoch boundary (step 14), taken in slices."""
    t = make(epochs=8)
    plan = {3: ("optimizer", "adam"), 9: ("lr", 0.02), 14: ("regularization", "l2"), 20: ("reg_rate", 0.01),
            27: ("optimizer", "momentum"), 33: ("regularization", "l1")}
    rng = np.random.default_rng(steps_between)
    while not t.done:
        if t.step in plan:
            what, value = plan.pop(t.step)
            if what == "lr":
                t.set_lr(value)
            elif what == "optimizer":
                t.set_optimizer(value)
            elif what == "regularization":
                t.set_regularization(value, 0.003 if value == "l2" else None)
            else:
                t.set_regularization(t.model.regularization, value)
        upcoming = [s for s in plan if s > t.step]
        n = int(rng.integers(1, 9)) if steps_between else 1_000_000
        if upcoming:
            n = min(n, min(upcoming) - t.step)
        t = pickle.loads(pickle.dumps(t)) if steps_between else t  # a worker's round trip between slices
        if steps_between:
            ds = make_2d("moons", n_samples=300, noise=0.1, seed=1)
            t.attach(ds.X_train, ds.y_train, ds.X_test, ds.y_test)
        t.run(steps=n)
    return t


def test_a_run_with_changes_is_the_same_in_slices_of_any_size_and_replays():
    whole = changed_run(0)
    sliced = changed_run(1)
    assert [(c.step, c.what, c.old, c.new) for c in whole.schedule] == [
        (3, "optimizer", "sgd", "adam"), (9, "lr", 0.5, 0.02), (14, "regularization", "none", "l2"),
        (14, "reg_rate", 0.0, 0.003), (20, "reg_rate", 0.003, 0.01), (27, "optimizer", "adam", "momentum"),
        (33, "regularization", "l2", "l1")]
    assert sliced.schedule == whole.schedule and whole.schedule[2].epoch == 2
    for k in whole.model.params:
        np.testing.assert_array_equal(sliced.model.params[k], whole.model.params[k])
    replay = make(epochs=8, schedule=whole.schedule)
    rng = np.random.default_rng(5)
    while not replay.done:
        replay.run(steps=int(rng.integers(1, 12)))  # slices that run past the changes: the trainer stops at them
    assert replay.schedule == whole.schedule
    for k in whole.model.params:
        np.testing.assert_array_equal(replay.model.params[k], whole.model.params[k])
    assert replay.model.optimizer.name == "momentum" and replay.model.regularization == "l1"


def test_the_schedule_travels_with_a_pickled_trainer():
    t = make()
    t.run(steps=4)
    t.set_optimizer("adam")
    t.replay([Change(9, 1, "lr", 0.5, 0.1)])
    copy = pickle.loads(pickle.dumps(t))
    assert copy.schedule == t.schedule and copy.model.optimizer.name == "adam"
    ds = make_2d("moons", n_samples=300, noise=0.1, seed=1)
    copy.attach(ds.X_train, ds.y_train, ds.X_test, ds.y_test)
    copy.run(steps=10)
    assert copy.lr == 0.1 and copy.schedule[-1] == Change(9, 1, "lr", 0.5, 0.1)


def test_setting_the_same_value_records_nothing():
    t = make()
    t.set_lr(0.5)
    t.set_optimizer("sgd")
    t.set_regularization("none")
    assert t.schedule == []
    t.set_regularization("l2", 0.01)
    assert [c.what for c in t.schedule] == ["regularization", "reg_rate"]


@pytest.mark.parametrize("schedule, match", [
    ([Change(5, 0, "lr", 0.5, 0.0)], "learning rate must be a finite number > 0, got 0.0"),
    ([Change(5, 0, "momentum", 0.9, 0.5)], "a run can change lr, regularization, reg_rate, optimizer or a weight, not 'momentum'"),
    ([Change(5, 0, "optimizer", "sgd", "rmsprop")], "unknown optimizer 'rmsprop'"),
    ([Change(5, 0, "regularization", "none", "l3")], "unknown regularization 'l3'"),
    ([Change(5, 0, "reg_rate", 0.0, -1.0)], "regularization rate must be a finite number ≥ 0, got -1.0"),
    ([Change(8, 1, "lr", 0.5, 0.1), Change(5, 0, "lr", 0.1, 0.2)], "in order from step 8, got 5"),
    ([(5, 0, "lr", 0.5, 0.1)], "a schedule holds Change records"),
])
def test_a_bad_schedule_is_refused_before_the_run(schedule, match):
    with pytest.raises(ValueError, match=match):
        make(schedule=schedule)


def test_changing_the_lr_mid_run_by_hand_is_checked():
    t = make()
    with pytest.raises(ValueError, match="learning rate must be a finite number > 0, got -1"):
        t.set_lr(-1)
    assert t.lr == 0.5 and t.schedule == []


def test_regression_records_carry_r2_and_the_loss_gives_the_rmse():
    ds = make_2d("plane", n_samples=300, noise=0.1, seed=2)
    t = make(ds, hidden=(), lr=0.05, epochs=20)
    t.run()
    r = t.history.epochs[-1]
    assert r.train_acc is None and r.test_acc is None and r.penalty is None
    pred = t.model.predict(ds.X_test.T)[0]
    rmse = math.sqrt(np.mean((pred - ds.y_test) ** 2))
    assert r.test_rmse == pytest.approx(rmse, rel=1e-10)
    r2 = 1 - np.sum((pred - ds.y_test) ** 2) / np.sum((ds.y_test - ds.y_test.mean()) ** 2)
    assert r.test_r2 == pytest.approx(r2, rel=1e-10) and r.test_r2 > 0.95 and r.train_r2 > 0.95
    assert r.train_rmse == pytest.approx(math.sqrt(2 * r.train_loss))


def test_a_target_in_thousands_is_not_mistaken_for_divergence():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = 3000 + 500 * X[:, 0]  # J ≈ 4.5e6 at the start: far above the cross-entropy's limit of 1000
    model = DeepNN(2, (), 1, problem="regression", seed=0)
    t = Trainer(model, X, y, lr=0.1, batch_size=20, epochs=30)
    t.run()
    assert t.stop.kind == "finished" and t.history.epochs[-1].train_rmse < 50
    wild = Trainer(DeepNN(2, (), 1, problem="regression", seed=0), X, y, lr=5.0, batch_size=20, epochs=30)
    wild.run()
    assert wild.stop.kind == "diverged" and "the learning rate 5 is too high" in wild.stop.message


def test_the_penalty_is_reported_beside_the_loss():
    t = make(regularization="l2", reg_rate=0.01)
    t.run(epochs=2)
    r = t.history.epochs[-1]
    assert r.penalty == pytest.approx(t.model.penalty()) and r.penalty > 0 and 0 < r.train_penalty
    loss, _ = t.evaluate("test")
    assert r.test_loss == pytest.approx(loss)  # evaluate's loss includes the penalty, like the record
    assert r.test_loss - r.penalty == pytest.approx(t.model.loss_from_logits(t._YT_test, t.model.logits(t._X1_test)))
    t.set_regularization("none")
    t.run(epochs=1)
    assert t.history.epochs[-1].penalty is None and t.history.epochs[-1].train_penalty is None


def test_a_multiclass_run_on_four_blobs():
    ds = make_2d("blobs", n_samples=400, noise=0.2, seed=0, classes=4)
    t = make(ds, hidden=(8,), lr=0.3, epochs=20)
    t.run()
    assert t.history.epochs[-1].test_acc > 0.9 and t.model.n_output == 4
    with pytest.raises(ValueError, match=r"y_train must hold class numbers 0 … 3, got 4"):
        Trainer(DeepNN(2, (), 4), ds.X_train, np.r_[ds.y_train[:-1], 4], lr=0.1, batch_size=8, epochs=1)


def test_the_trainer_still_takes_the_lessons_network_and_refuses_anything_else():
    ds = make_2d("moons", n_samples=100, seed=0)
    Trainer(ShallowNN(2, 3), ds.X_train, ds.y_train, lr=0.1, batch_size=8, epochs=1).run()
    with pytest.raises(ValueError, match="model must be a DeepNN or ShallowNN, got dict"):
        Trainer({}, ds.X_train, ds.y_train, lr=0.1, batch_size=8, epochs=1)


@pytest.mark.parametrize("problem, k, optimizer, regularization", [
    ("binary", 1, "momentum", "l1"), ("multiclass", 3, "adam", "l2"), ("regression", 1, "sgd", "l2")])
def test_fit_takes_the_same_steps_as_the_trainer_for_any_network(problem, k, optimizer, regularization):
    rng = np.random.default_rng(5)
    X = rng.normal(size=(130, 4))
    y = rng.normal(size=130) if problem == "regression" else rng.integers(0, max(k, 2), 130)
    kw = dict(problem=problem, init_scale=0.5, seed=9, optimizer=optimizer, regularization=regularization,
              reg_rate=0.01)
    fitted = DeepNN(4, (6, 5), k, **kw).fit(X, y, batch_size=32, n_iterations=7, lr=0.05, shuffle=True)
    model = DeepNN(4, (6, 5), k, **kw)
    trainer = Trainer(model, X, y, lr=0.05, batch_size=32, epochs=7, shuffle=True, seed=model.rng, evaluate=False)
    trainer.run()
    assert fitted.loss_curve_ == [r.train_loss for r in trainer.history.epochs]
    for name in model.param_names:
        np.testing.assert_array_equal(fitted.params[name], model.params[name])


def test_a_weight_set_by_hand_is_a_change_the_schedule_replays():
    first = make()
    first.run(steps=9)
    first.set_weight("W2", 1, 3, 2.5)
    first.set_weight("b1", 0, 0, -1.0)
    first.run()
    w_old = first.schedule[0].old
    assert [(c.step, c.what, c.new) for c in first.schedule] == [(9, "W2.1.3", 2.5), (9, "b1.0.0", -1.0)]
    assert first.schedule[0].label() == f"W[2]₂₄ {w_old:.3g} → 2.5" and first.schedule[1].label().startswith("b[1]₁")
    replay = make(schedule=first.schedule)
    replay.run()
    for k in first.model.params:
        np.testing.assert_array_equal(replay.model.params[k], first.model.params[k])
    for bad, message in ((("W9", 0, 0, 1.0), "unknown parameter"), (("W2", 9, 0, 1.0), "no entry"),
                         (("W2", 0, 0, math.inf), "a weight must be"), (("W2", 0, 0, 1e9), "a weight must be")):
        with pytest.raises(ValueError, match=message):
            first.set_weight(*bad)
