"""The settings schema round-trips through a URL; exports rebuild the run. (The equations with their shapes and
the lesson's numbers: tests/lesson/test_lesson_equations.py.)"""

import json
import subprocess
import sys
import urllib.parse

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from nnviz import ShallowNN, Trainer
from nnviz.core import export
from nnviz.core.activations import HIDDEN_ACTIVATIONS
from nnviz.core.datasets import make_2d
from nnviz.core.settings import (
    BATCH_SIZES,
    DATASETS,
    EPOCHS,
    HIDDEN_UNITS,
    INITS,
    LEARNING_RATES,
    SAMPLES,
    SPEEDS,
    TrainerSettings,
    from_query,
    to_query,
)

settings_strategy = st.builds(
    TrainerSettings,
    dataset=st.sampled_from(DATASETS), noise=st.sampled_from([0.0, 0.05, 0.2, 0.35, 0.5]),
    train_split=st.integers(10, 90), samples=st.sampled_from(SAMPLES), hidden=st.sampled_from(HIDDEN_UNITS),
    activation=st.sampled_from(HIDDEN_ACTIVATIONS), lr=st.sampled_from(LEARNING_RATES),
    batch_size=st.sampled_from(BATCH_SIZES), epochs=st.sampled_from(EPOCHS), init=st.sampled_from(INITS),
    seed=st.integers(0, 2**31 - 1), shuffle=st.booleans(), standardize=st.booleans(),
    speed=st.sampled_from(SPEEDS), log_scale=st.booleans(),
    schedule=st.lists(st.tuples(st.integers(0, 10**6), st.just("lr"), st.sampled_from(LEARNING_RATES)),
                      max_size=4).map(lambda items: tuple(sorted(items, key=lambda c: c[0]))),
)


@given(settings_strategy)
@hsettings(max_examples=200, deadline=None)
def test_every_setting_round_trips_through_a_url(s):
    url = urllib.parse.urlencode(to_query(s))
    parsed = dict(urllib.parse.parse_qsl(url))
    back, problems = from_query(parsed)
    assert back == s and problems == []


@pytest.mark.parametrize("key, value, field", [
    ("lr", "0.05", "lr"), ("lr", "nan", "lr"), ("hidden", "-3", "hidden"), ("batch", "full!", "batch_size"),
    ("seed", "1.5", "seed"), ("ds", "<script>", "dataset"), ("noise", "7", "noise"), ("shuffle", "maybe", "shuffle"),
    ("epochs", "1e400", "epochs"), ("sched", "120:lr:0.05", "schedule"), ("sched", "120:lr", "schedule"),
    ("sched", "300:lr:0.1,120:lr:1", "schedule"), ("sched", "12:hidden:3", "schedule"),
    ("sched", "-1:lr:0.1", "schedule"), ("sched", "5:optimizer:rmsprop", "schedule"),
    ("sched", ",".join(["1:lr:0.1"] * 51), "schedule"),
])
def test_a_bad_value_falls_back_to_the_default_and_is_reported(key, value, field):
    s, problems = from_query({key: value})
    assert getattr(s, field) == getattr(TrainerSettings(), field)
    assert len(problems) == 1 and problems[0].startswith(f"{key}={value[:40]!r}"[:-1])  # a long value is cut


def test_run_key_ignores_display_and_unused_settings():
    a = TrainerSettings(dataset="lesson", noise=0.1)
    assert a.run_key() == TrainerSettings(dataset="lesson", noise=0.4, speed="2", log_scale=True).run_key()
    assert TrainerSettings(dataset="moons", noise=0.1).run_key() != TrainerSettings(dataset="moons", noise=0.4).run_key()


def test_a_link_with_a_schedule_reads_back_as_the_changes_a_run_replays():
    s, problems = from_query({"lr": "1", "sched": "120:lr:0.1,480:lr:0.01"})
    assert problems == [] and s.schedule == ((120, "lr", 0.1), (480, "lr", 0.01))
    assert to_query(s)["sched"] == "120:lr:0.1,480:lr:0.01"
    assert "sched" not in to_query(TrainerSettings())  # a run that changed nothing keeps a short link
    ds = make_2d("moons", 200, 0.2, 0.7, seed=1)
    trainer = s.new_trainer(ds)
    trainer.run(steps=500)
    assert [(c.step, c.what, c.old, c.new) for c in trainer.schedule] == [(120, "lr", 1.0, 0.1), (480, "lr", 0.1, 0.01)]
    assert trainer.lr == 0.01


def test_a_new_learning_rate_keeps_the_network_another_hidden_size_does_not():
    a = TrainerSettings(dataset="moons", lr=1.0)
    assert a.same_network(TrainerSettings(dataset="moons", lr=0.1))
    assert a.same_network(TrainerSettings(dataset="moons", lr=0.1, schedule=((10, "lr", 0.3),), speed="2"))
    assert not a.same_network(TrainerSettings(dataset="moons", lr=0.1, hidden=4))
    assert not a.same_network(TrainerSettings(dataset="circles"))
    assert a.run_key() != TrainerSettings(dataset="moons", lr=1.0, schedule=((10, "lr", 0.3),)).run_key()


def test_exported_script_rebuilds_the_run_and_prints_its_numbers(tmp_path):
    ds = make_2d("circles", n_samples=300, noise=0.1, seed=3)
    model = ShallowNN(2, 8, 1, activation="relu", init_scale="glorot", seed=3)
    trainer = Trainer(model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, lr=0.3, batch_size=16, epochs=30)
    trainer.run()
    last = trainer.history.epochs[-1]
    metrics = {"test accuracy": last.test_acc, export.TRAIN_LOSS_READOUT: last.train_loss}
    data = export.weights_npz(model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, {"lr": "0.3"}, metrics)
    (tmp_path / "nnviz_run.npz").write_bytes(data)
    (tmp_path / "nnviz_run.py").write_text(export.standalone_script("nnviz_run.npz", metrics))
    with np.load(tmp_path / "nnviz_run.npz", allow_pickle=False) as f:
        assert json.loads(str(f["settings"])) == {"lr": "0.3"} and f["W1"].shape == (8, 2)
    out = subprocess.run([sys.executable, "nnviz_run.py"], cwd=tmp_path, capture_output=True, text=True, check=True)
    lines = out.stdout.strip().splitlines()
    assert lines[0] == "With the final weights:"
    assert lines[2] == f"test: loss {last.test_loss:.4f}, accuracy {last.test_acc * 100:.2f} %"
    # the training loss of the final weights is not the readout (an epoch's mean): the script prints both, named
    final = float(lines[1].split("loss ")[1].split(",")[0])
    assert lines[1].endswith(f"accuracy {last.train_acc * 100:.2f} %") and abs(final - last.train_loss) > 5e-5
    assert f"Train loss, {last.train_loss:.4f}, is the mean of the last epoch's batch losses" in lines[3]


def test_settings_arithmetic_lives_in_state():
    from nnviz.core.datasets import make_2d
    from nnviz.core.settings import FULL_BATCH

    s = TrainerSettings(batch_size=FULL_BATCH)
    assert s.batch_for(280) == 280 and s.steps_per_epoch(280) == 1
    s = TrainerSettings(batch_size=64)
    assert s.batch_for(280) == 64 and s.steps_per_epoch(280) == 5  # the last batch is shorter
    assert TrainerSettings(batch_size=2000).batch_for(280) == 280
    assert TrainerSettings(init="lesson").init_scale == 0.01
    assert TrainerSettings(init="glorot").init_scale == "glorot"
    assert TrainerSettings(speed="max").epochs_per_s is None and TrainerSettings(speed="50").epochs_per_s == 50.0
    ds = make_2d("moons", 400, 0.2, 0.7, 3)
    t = TrainerSettings(dataset="moons", hidden=6, batch_size=FULL_BATCH, lr=0.3, epochs=7, seed=3,
                        activation="relu").new_trainer(ds)
    assert (t.model.n_hidden, t.batch_size, t.lr, t.epochs, t.model.activation) == (6, 280, 0.3, 7, "relu")
    with pytest.raises(ValueError):
        TrainerSettings(lr=-1.0).new_trainer(ds)


@pytest.mark.parametrize("query", [
    {"ds": "lesson", "epochs": "5"},
    {"ds": "spiral", "classes": "3", "hidden": "8,8", "act": "relu,tanh", "opt": "adam", "lr": "0.03", "reg": "l2",
     "rate": "0.001", "batch": "10", "shuffle": "1", "epochs": "20", "init": "glorot", "sched": "100:lr:0.01"},
    {"ds": "plane", "hidden": "4", "opt": "momentum", "lr": "0.1", "reg": "l1", "rate": "0.0001", "batch": "16",
     "epochs": "10", "sched": "30:optimizer:sgd,60:regularization:l2"},
    {"ds": "circles", "hidden": "0", "feat": "x1sq,x2sq", "lr": "1", "batch": "10", "epochs": "5"},
], ids=["lesson", "spiral-adam-l2-schedule", "plane-momentum-l1-changes", "circle-features"])
def test_the_exported_script_trains_the_run_again_to_the_same_weights(tmp_path, query):
    """``--train`` replays the run from its first weights in plain NumPy — batches, shuffling, optimizer, penalty and
    the changes made while it played — and lands on the page's weights (the rounding of another order of sums)."""
    from nnviz.serving.data_store import DataRef, load_data

    s, problems = from_query(query)
    assert not problems
    ds = load_data(DataRef.for_settings(s))
    trainer = s.new_trainer(ds)
    trainer.run(steps=min(trainer.steps_per_epoch * s.epochs - 1, 400))  # stopped mid-epoch, as a paused run is
    recipe = export.training_recipe(s, s.new_trainer(ds).model, ds.n_train, trainer.step)
    data = export.weights_npz(trainer.model, ds.X_train, ds.y_train, ds.X_test, ds.y_test, to_query(s), {}, recipe)
    (tmp_path / "nnviz_run.npz").write_bytes(data)
    (tmp_path / "nnviz_run.py").write_text(export.standalone_script("nnviz_run.npz"))
    out = subprocess.run([sys.executable, "nnviz_run.py", "--train"], cwd=tmp_path, capture_output=True, text=True,
                         check=True).stdout
    far = float(out.strip().splitlines()[-1].rsplit(" ", 1)[-1].rstrip("."))
    assert far < 1e-8, out
    moved = max(np.max(np.abs(trainer.model.params[k] - recipe["initial"][f"init_{k}"])) for k in trainer.model.params)
    assert moved > 1e-3  # the run did move the weights: agreeing is not trivial
