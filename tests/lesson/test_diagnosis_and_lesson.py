"""What a run's numbers say (nnviz.lesson.diagnosis) and the lesson's own run (nnviz.lesson.recipes)."""

import math
from dataclasses import replace

import numpy as np
import pytest

from nnviz import ShallowNN
from nnviz.core.datasets import lesson_data, make_2d
from nnviz.core.settings import TrainerSettings
from nnviz.core.training import EpochRecord
from nnviz.lesson import recipes
from nnviz.lesson.diagnosis import COIN_FLIP_LOSS, diagnose, format_accuracy, format_loss, guess_loss, hidden_units
from nnviz.lesson.examples import EXAMPLES
from nnviz.serving.data_store import DataRef, load_data


def records(losses, accs=None, test_losses=None):
    accs = accs if accs is not None else [0.9] * len(losses)
    tests = test_losses if test_losses is not None else [None] * len(losses)
    return [EpochRecord(i + 1, 10 * (i + 1), float(loss), acc, test, None, 1000.0, float(loss))
            for i, (loss, acc, test) in enumerate(zip(losses, accs, tests, strict=True))]


def trained(settings, ds):
    trainer = settings.new_trainer(ds)
    trainer.run()
    return trainer


def test_a_healthy_falling_loss_is_ok():
    assert not diagnose(records(np.linspace(0.7, 0.1, 60)), lr=0.1).bad


def test_a_loss_above_a_coin_flip_is_overshooting():
    v = diagnose(records([0.7, 25.0, 17.0, 20.0, 17.3, 17.3]), lr=10, batch_size=1)
    assert v.kind == "overshooting" and "50/50 guess" in v.title
    assert "learning rate of 1" in v.advice and "larger batch" in v.advice


def test_a_loss_rising_far_above_its_best_is_overshooting():
    v = diagnose(records([0.5, 0.3, 0.2, 0.45, 0.5, 0.55, 0.6]), lr=3)
    assert v.kind == "overshooting" and "above its best" in v.title


def test_a_bouncing_accuracy_is_oscillating():
    accs = [0.85, 0.92] * 15
    v = diagnose(records([0.2] * 30, accs), lr=10)
    # the last 10 epochs: 9 swings of 7 points, of which one is the net way from 0.85 to 0.92 → 56 / 9 = 6.2
    assert v.kind == "oscillating" and "6.2 points" in v.title and "learning rate of 1" in v.advice


def test_a_steep_climb_is_learning_not_oscillating():
    """A regression on the plane at learning rate 0.03 (measured): R² climbs from 0 to 0.94 in 20 epochs,
    0.02–0.1 per epoch at the end, always upwards — progress, however fast, is not a step too big to settle."""
    r2 = 0.95 / (1 + np.exp(-(np.arange(20) - 12) / 1.5))
    losses = 0.12 * (1 - r2) + 0.005
    assert np.mean(np.abs(np.diff(r2[-6:]))) > 0.015  # a mean |Δ| alone would call it oscillating
    assert not diagnose(records(losses, r2), lr=0.03, batch_size=10, score="R²").bad


def test_a_noisy_loss_at_a_high_accuracy_is_no_failure():
    """Moons, batch 1, learning rate 1 (measured: 96 % test accuracy, the accuracy moves ~1 point per epoch,
    the loss ±30 % of its level): stochastic gradient descent's noise, not a failed run."""
    losses = [0.27, 0.35, 0.22, 0.40, 0.25, 0.33, 0.21, 0.38, 0.26, 0.30] * 3
    accs = [0.968, 0.958, 0.970, 0.955, 0.966, 0.960, 0.971, 0.957, 0.965, 0.962] * 3
    assert not diagnose(records(losses, accs), lr=1, batch_size=1).bad


def test_a_noisy_loss_at_a_low_accuracy_is_oscillating():
    losses = [0.5, 0.8, 0.45, 0.9, 0.5, 0.85] * 5
    v = diagnose(records(losses, [0.75, 0.76] * 15), lr=3, batch_size=1)
    assert v.kind == "oscillating" and "loss jumps" in v.title and "learning rate of 0.3" in v.advice


def test_a_flat_loss_below_the_solved_accuracy_is_a_plateau():
    v = diagnose(records([0.52] * 40, [0.70] * 40), lr=1)
    assert v.kind == "plateau"
    assert not diagnose(records([0.01] * 40, [1.0] * 40), lr=1).bad  # solved is not stuck


def test_a_test_loss_rising_while_the_training_loss_falls_is_overfitting():
    train = np.linspace(0.5, 0.05, 100)
    test = np.r_[np.linspace(0.5, 0.15, 20), np.linspace(0.15, 0.25, 80)]
    v = diagnose(records(train, [0.95] * 100, test), lr=1)
    assert v.kind == "overfitting" and "from 0.1500 (epoch 20) to 0.2" in v.title
    assert "lowest at epoch 20" in v.advice and "fewer hidden units" in v.advice
    # a test loss that only wobbles around its best, or rises with the training loss, is no overfitting
    wobble = np.r_[np.linspace(0.5, 0.15, 20), 0.15 + 0.01 * np.sin(np.arange(80))]
    assert not diagnose(records(train, [0.95] * 100, wobble), lr=1).bad


@pytest.mark.slow
def test_the_lessons_own_run_overfits_and_what_the_text_meant_does_not():
    """The lesson's run (learning rate 1): its test loss is lowest within its first epochs and rises while the
    training loss falls — named while it happens, long before the end, on every seed tried. At 0.01 it does not."""
    ds = lesson_data()
    for seed in (0, 1, 2):
        epochs = trained(replace(recipes.LESSON_RUN, seed=seed), ds).history.epochs
        named = [k for k in range(10, 501, 10) if diagnose(epochs[:k], lr=1.0).kind == "overfitting"]
        assert named and named[0] <= 150 and named[-1] == 500, (seed, named[:3])
    slow = trained(replace(recipes.TEXT_MEANT_RUN, epochs=300), ds).history.epochs
    assert diagnose(slow, lr=0.01).kind != "overfitting"


def test_the_spiral_with_one_hidden_unit_is_named_too_small():
    settings = TrainerSettings(dataset="spiral", hidden=1, lr=1.0, epochs=300, init="glorot")
    ds = make_2d("spiral", 400, 0.2, 0.7, 0)
    t = trained(settings, ds)
    v = diagnose(t.history.epochs, lr=1.0, units=hidden_units(t.model, ds.X_train), init="glorot")
    assert v.kind == "underfitting" and "1 hidden unit draws only one line" in v.title
    assert "more hidden units" in v.advice


def test_a_slow_fit_far_from_its_data_is_underfitting():
    losses = np.linspace(0.60, 0.58, 150)  # still falling, 0.4 % per window: too slowly to fit
    v = diagnose(records(losses, [0.72] * 150), lr=0.001)
    assert v.kind == "underfitting" and "after 150 epochs the training accuracy is only 72 %" in v.title
    assert not diagnose(records(losses, [0.95] * 150), lr=0.001).bad  # fitting its data: fine


def test_a_diverged_run_is_named_with_what_to_try():
    v = diagnose([], lr=10, stopped="diverged")
    assert v.kind == "diverged" and "learning rate 10 is too high" in v.title and "1 or lower" in v.advice


def test_the_spiral_with_the_lessons_init_stalls_on_identical_units_and_glorot_breaks_them():
    # 24 tanh units from 0.01·N(0, 1) receive almost the same gradient and move together.
    settings = TrainerSettings(dataset="spiral", hidden=24, lr=1.0, epochs=120)
    ds = make_2d("spiral", 400, 0.2, 0.7, 0)
    t = trained(settings, ds)
    units = hidden_units(t.model, ds.X_train)
    assert units.distinct <= 2
    v = diagnose(t.history.epochs, lr=1.0, units=units, init="lesson")
    assert v.kind == "plateau" and "moved together" in v.title and "Glorot" in v.advice
    glorot = trained(replace(settings, init="glorot"), ds)
    assert hidden_units(glorot.model, ds.X_train).distinct > units.distinct


def test_hidden_units_counts_saturated_and_dead_units():
    model = ShallowNN(2, 3, 1, activation="relu", seed=0)
    model.params["W1"][...] = [[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0]]
    model.params["b1"][...] = [[0.0], [0.0], [-1.0]]  # unit 3 never fires
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [0.5, 0.5]])
    units = hidden_units(model, X)
    assert units.dead == 1 and units.n == 3
    tanh = ShallowNN(2, 2, 1, seed=0)
    tanh.params["W1"][...] = [[100.0, 0.0], [0.0, 100.0]]
    assert hidden_units(tanh, X[:2]).saturated_share == 0.5


@pytest.mark.parametrize("value, text", [(0.123456, "0.1235"), (49.0123, "49.01"), (999.94, "999.9"),
                                         (12345.0, "1.2e+04"), (None, "–"), (math.nan, "–"), (math.inf, "∞")])
def test_loss_readouts_are_never_wider_than_seven_characters(value, text):
    assert format_loss(value) == text and len(text) <= 7


def test_accuracy_readout():
    assert format_accuracy(0.936) == "93.6 %" and format_accuracy(None) == "–"


def test_the_lessons_recipe_as_its_text_states_it():
    r = recipes.LESSON_RUN
    assert (r.dataset, r.hidden, r.batch_size, r.epochs, r.lr, r.init, r.shuffle, r.activation) == \
        ("lesson", (10,), 100, 500, 1.0, "lesson", False, "tanh")
    assert r.init_scale == 0.01  # np.random.randn(...) * 0.01
    assert recipes.TEXT_MEANT_RUN == replace(r, lr=0.01)
    assert recipes.LESSON_ACCURACY == 0.936


def test_the_stored_measurements_are_a_distribution_around_the_lessons_result():
    m = recipes.MEASURED_LESSON_RUN
    assert len(m.accuracies) == len(m.seeds) == 20
    assert m.mean - 2 * m.sd < recipes.LESSON_ACCURACY < m.mean + 2 * m.sd  # 93.6 % is one draw of it
    assert "± 0.7" in m.describe() and "20 seeds" in m.describe()
    assert recipes.MEASURED_TEXT_MEANT.lr == 0.01 and len(recipes.MEASURED_TEXT_MEANT.accuracies) == 20


def test_measure_follows_the_recipe_with_the_projects_trainer():
    short = replace(recipes.LESSON_RUN, epochs=5)
    m = recipes.measure(short, [0, 1])
    ds = lesson_data()
    for seed, acc in zip(m.seeds, m.accuracies, strict=True):
        t = trained(replace(short, seed=seed), ds)
        assert acc == t.history.epochs[-1].test_acc  # same machine, same run: identical
    assert all(0.5 < a < 1 for a in m.accuracies)


def test_the_loss_log_prints_every_tenth_epoch_from_zero_as_the_lessons_fit():
    recs = records(np.linspace(0.7, 0.2, 25))
    lines = recipes.loss_log(recs)
    assert lines == [f"iteration {i}: loss {recs[i].last_batch_loss}" for i in (0, 10, 20)]
    mean = recipes.loss_log(recs, "epoch mean")
    assert mean[1] == f"iteration 10: loss {recs[10].train_loss}"
    with pytest.raises(ValueError, match="which must be"):
        recipes.loss_log(recs, "median")


def test_the_lessons_untrained_loss_is_a_cross_entropy_of_random_guesses():
    # The lesson drew 10 labels and 10 uniform predictions from NumPy's unseeded global generator:
    # the recipe is clear, the exact number is not reproducible; its size is what the recipe gives.
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(2000):
        y, p = rng.integers(0, 2, 10), rng.uniform(0, 1, 10)
        losses.append(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    assert abs(np.mean(losses) - 1.0) < 0.03  # E[-log U] = 1 for U uniform on (0, 1)
    assert np.quantile(losses, 0.2) < recipes.LESSON_UNTRAINED_LOSS < np.quantile(losses, 0.8)
    assert COIN_FLIP_LOSS == pytest.approx(np.log(2))


def test_the_lessons_data_are_what_it_printed():
    check = recipes.dataset_check()
    assert check.train_shape == (4000, 20) and check.test_shape == (1000, 20)
    assert check.x0_matches and check.y20_matches
    assert check.x0[:2].round(8).tolist() == [-0.28726786, 4.48392645]


def test_the_untrained_loss_the_lesson_printed_is_an_ordinary_draw_of_its_recipe():
    losses = recipes.untrained_losses(2000)
    assert abs(losses.mean() - 1.0) < 0.03
    assert 0.2 < np.mean(losses < recipes.LESSON_UNTRAINED_LOSS) < 0.8


def test_the_lessons_batch_loader_breaks_where_ours_takes_a_shorter_last_batch():
    broken = recipes.batch_loader(4000, 300)
    assert broken.lesson_last == range(3900, 4200) and "index 4000 is out of bounds" in broken.lesson_error
    assert broken.sizes == [300] * 13 + [100] and sum(broken.sizes) == 4000
    whole = recipes.batch_loader(4000, 100)
    assert whole.lesson_error == "" and whole.sizes == [100] * 40


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.key)
def test_each_example_ends_with_the_verdict_it_promises(example):
    """An example is a success to show (its status ends green) unless it teaches a failure: opened from its link
    (seed included), trained to the end, diagnosed as the page does."""
    st = example.settings
    ds = load_data(DataRef.for_settings(st))
    t = trained(st, ds)
    verdict = diagnose(t.history.epochs, lr=st.lr, stopped="finished", units=hidden_units(t.model, ds.X_train)
                       if t.model.hidden else None, batch_size=st.batch_for(ds.n_train),
                       guess=guess_loss(ds.problem, ds.n_classes, ds.y_train),
                       score="R²" if ds.problem == "regression" else "accuracy")
    assert verdict.kind == example.ends, verdict.title
