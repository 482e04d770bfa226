"""Trainer: a run advanced in slices is the same run; divergence stops it with a reason."""

import pickle
from types import SimpleNamespace

import numpy as np
import pytest

from nnviz import History, ShallowNN, Trainer
from nnviz.core.datasets import lesson_data, make_2d
from nnviz.core.settings import TrainerSettings
from nnviz.core.training import steps_per_epoch


def make_trainer(lr=0.5, batch_size=32, epochs=5, shuffle=False, ds=None, activation="tanh", **kw):
    ds = ds or make_2d("moons", n_samples=300, noise=0.1, seed=1)
    model = ShallowNN(ds.n_features, 6, 1, activation=activation, init_scale=0.5, seed=0)
    return Trainer(model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, lr=lr, batch_size=batch_size,
                   epochs=epochs, shuffle=shuffle, seed=3, **kw)


def test_run_by_steps_records_every_batch_and_epoch():
    trainer = make_trainer(batch_size=32, epochs=3)  # 210 training samples: 7 batches, the last of 18
    assert trainer.steps_per_epoch == 7
    p = trainer.run(steps=10)
    assert p.n_steps == 10 and p.steps.tolist() == list(range(1, 11))
    assert [r.epoch for r in p.epochs] == [1]
    rec = p.epochs[0]
    assert rec.step == 7 and 0 <= rec.train_acc <= 1 and 0 <= rec.test_acc <= 1
    assert rec.test_loss > 0 and rec.steps_per_s > 0
    # the epoch's train loss is the sample-weighted mean of its batch losses
    weights = np.array([32] * 6 + [18])
    assert rec.train_loss == pytest.approx(np.dot(p.batch_losses[:7], weights) / 210, rel=1e-12)
    p2 = trainer.run()
    assert trainer.done and trainer.stop.kind == "finished" and trainer.epoch == 3
    assert p2.n_steps == 11 and [r.epoch for r in p2.epochs] == [2, 3]
    assert len(trainer.history.epochs) == 3 and trainer.history.n_steps == 21
    assert trainer.run().n_steps == 0  # a finished run stays finished


@pytest.mark.parametrize("shuffle", [False, True])
def test_slices_of_any_size_give_the_same_run(shuffle):
    whole = make_trainer(shuffle=shuffle, epochs=4)
    whole.run()
    sliced = make_trainer(shuffle=shuffle, epochs=4)
    rng = np.random.default_rng(0)
    while not sliced.done:
        sliced.run(steps=int(rng.integers(1, 9)))
    np.testing.assert_array_equal(whole.history.batch_losses, sliced.history.batch_losses)
    for k in whole.model.params:
        np.testing.assert_array_equal(whole.model.params[k], sliced.model.params[k])
    assert [r.test_acc for r in whole.history.epochs] == [r.test_acc for r in sliced.history.epochs]


def test_same_seed_same_curve_and_shuffle_changes_it():
    a, b, c = make_trainer(shuffle=True), make_trainer(shuffle=True), make_trainer(shuffle=False)
    for t in (a, b, c):
        t.run()
    np.testing.assert_array_equal(a.history.batch_losses, b.history.batch_losses)
    assert not np.array_equal(a.history.batch_losses, c.history.batch_losses)


def test_a_time_budget_returns_promptly(monkeypatch):
    # A clock that moves 0.25 s each time it is read (no wall-clock timing): the budget is checked after every step.
    ticks = iter(range(1_000_000))
    monkeypatch.setattr("nnviz.core.training.time", SimpleNamespace(perf_counter=lambda: 0.25 * next(ticks)))
    trainer = make_trainer(epochs=1_000_000, batch_size=1)
    p = trainer.run(seconds=1.0)
    assert p.n_steps == 4 and p.seconds == 1.25  # read at the start, after steps 1–4, and at the end
    assert not trainer.done


def test_one_epoch_more_finishes_the_current_epoch_then_runs_whole_ones():
    trainer = make_trainer(batch_size=50, epochs=10)
    trainer.run(steps=2)
    p = trainer.run(epochs=1)  # finishes the current epoch
    assert [r.epoch for r in p.epochs] == [1] and p.n_steps == trainer.steps_per_epoch - 2
    p = trainer.run(epochs=1)  # then a whole one
    assert [r.epoch for r in p.epochs] == [2] and p.n_steps == trainer.steps_per_epoch


@pytest.mark.parametrize("activation", ["relu", "linear"])
def test_divergence_stops_the_run_with_a_reason_and_keeps_the_record(activation):
    ds = lesson_data()
    model = ShallowNN(20, 10, 1, activation=activation, seed=0)
    trainer = Trainer(model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, lr=10.0, batch_size=100, epochs=50)
    p = trainer.run()
    assert trainer.done and trainer.stop.kind == "diverged"
    msg = trainer.stop.message
    assert msg.startswith("loss ") and f"at epoch {trainer.stop.epoch}, step " in msg
    assert "the learning rate 10 is too high" in msg and "try a learning rate of 1 or lower" in msg
    assert p.n_steps == trainer.step and len(trainer.history.batch_losses) == trainer.step
    assert np.isfinite(trainer.history.batch_losses[0])  # what came before is kept
    assert trainer.run().n_steps == 0


def test_nan_loss_is_reported_as_nan():
    trainer = make_trainer()
    trainer.model.params["W2"] = np.full((1, 6), np.nan)
    trainer.run()
    assert trainer.stop.kind == "diverged" and "loss became NaN at epoch 1, step 1" in trainer.stop.message


def test_batch_size_larger_than_the_data_is_full_batch():
    trainer = make_trainer(batch_size=10_000, epochs=2)
    assert trainer.batch_size == 210 and trainer.steps_per_epoch == 1
    trainer.run()
    assert trainer.step == 2


def test_pickled_trainer_travels_without_its_data_and_resumes_identically():
    ds = make_2d("xor", n_samples=200, seed=2)
    ref = make_trainer(ds=ds, shuffle=True, epochs=6)
    ref.run()
    t = make_trainer(ds=ds, shuffle=True, epochs=6)
    t.run(steps=9)
    blob = pickle.dumps(t)
    assert len(blob) < 20_000  # weights and position, not the dataset
    t2 = pickle.loads(blob)
    t2.attach(ds.X_train, ds.y_train, ds.X_test, ds.y_test)
    t2.run()
    np.testing.assert_array_equal(t2.model.params["W1"], ref.model.params["W1"])


def test_history_stays_bounded_and_keeps_the_shape_of_the_curve():
    h = History(max_points=100)
    trainer = make_trainer(batch_size=1, epochs=3)  # 630 steps
    while not trainer.done:
        h.extend(trainer.run(steps=37))
    assert len(h.batch_losses) < 100 and h.stride >= 8
    assert h.batch_steps[-1] <= 630 and np.all(np.diff(h.batch_steps) == h.stride)
    assert h.n_steps == 630 and len(h.epochs) == 3


def test_evaluate_matches_the_model():
    trainer = make_trainer()
    trainer.run(steps=20)
    ds = make_2d("moons", n_samples=300, noise=0.1, seed=1)
    loss, acc = trainer.evaluate("test")
    Y = ds.y_test.reshape(1, -1).astype(float)
    assert loss == pytest.approx(trainer.model.loss(ds.X_test.T, Y), rel=1e-12)
    assert acc == np.mean(trainer.model.predict_classes(ds.X_test.T) == ds.y_test)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lr=0), "learning rate must be a finite number > 0, got 0"),
        (dict(lr=float("inf")), "learning rate must be a finite number > 0, got inf"),
        (dict(batch_size=0), "batch size must be at least 1, got 0"),
        (dict(epochs=0), "epochs must be at least 1, got 0"),
    ],
)
def test_trainer_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        make_trainer(**kwargs)


def test_trainer_rejects_data_that_does_not_fit_the_model():
    model = ShallowNN(3, 2, 1)
    X = np.zeros((10, 3))
    with pytest.raises(ValueError, match="X_train must have 3 features per row"):
        Trainer(model, np.zeros((10, 4)), np.zeros(10), lr=0.1, batch_size=2, epochs=1)
    X[4, 1] = np.inf
    with pytest.raises(ValueError, match=r"X_train contains inf at index \(4, 1\)"):
        Trainer(model, X, np.zeros(10), lr=0.1, batch_size=2, epochs=1)


def test_each_epoch_records_its_last_batch_loss_as_the_lessons_fit_printed():
    from nnviz.core.datasets import make_2d

    ds = make_2d("moons", 200, 0.2, 0.7, 0)
    model = ShallowNN(2, 4, 1, init_scale=0.5, seed=0)
    trainer = Trainer(model, ds.X_train, ds.y_train, lr=0.5, batch_size=32, epochs=3)
    trainer.run()
    losses = trainer.history.batch_losses
    per_epoch = trainer.steps_per_epoch
    for r in trainer.history.epochs:
        assert r.last_batch_loss == losses[r.epoch * per_epoch - 1]


@pytest.mark.parametrize("samples, batch, steps", [(60_000, 128, 469), (46_900, 32, 1_466), (128, 128, 1),
                                                   (129, 128, 2)])
def test_iterations_per_epoch(samples, batch, steps):
    assert steps_per_epoch(samples, batch) == steps
    assert (steps - 1) * batch < samples <= steps * batch  # d·e = i·b, the last batch partly filled


@pytest.mark.parametrize("batch", [1, 7, 32, 200, 240, 1000])
def test_the_trainer_the_settings_and_the_formula_count_the_same_steps(batch):
    ds = make_2d("moons", n_samples=300, noise=0.1, seed=1)
    n = len(ds.X_train)
    trainer = make_trainer(batch_size=batch, ds=ds)
    settings = TrainerSettings(batch_size=batch)
    assert trainer.steps_per_epoch == settings.steps_per_epoch(n) == steps_per_epoch(n, min(batch, n))
    with pytest.raises(ValueError, match="≥ 1"):
        steps_per_epoch(0, batch)

