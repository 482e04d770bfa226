"""The per-session Run: it carries its settings, keeps its pace on average, and a pause holds where it stopped."""

import time

import pytest

import nnviz.serving.runner as runner
from nnviz.core.settings import TrainerSettings
from nnviz.serving.runner import DataRef, InlineExecutor, Run, load_data, training_pool

SETTINGS = TrainerSettings(dataset="moons", samples=400, noise=0.2, train_split=70, hidden=8, lr=0.5, batch_size=16,
                           epochs=100_000, seed=4)
REF = DataRef("moons", samples=400, noise=0.2, train_split=0.7, seed=4)


def new_run(executor, settings=SETTINGS):
    return Run(settings.new_trainer(load_data(REF)), REF, executor=executor, settings=settings)


def test_the_run_carries_its_settings_and_key():
    run = new_run(InlineExecutor())
    assert run.settings is SETTINGS and run.key == (SETTINGS.run_key(), REF)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_pacing_catches_up_instead_of_adding_up_overheads(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(runner.time, "monotonic", clock)
    run = new_run(InlineExecutor())
    run._pace = 50.0
    run._restart_pace()
    per_slice = round(50 * runner.SLICE_SECONDS)
    assert run._paced_epochs() == int(runner.SLICE_SECONDS * 50)  # the first slice: what the next slice's time allows
    run._trainer.run(epochs=40)  # 40 epochs done when the timeline says 50 (overheads between slices)
    clock.now += 1.0
    assert run._paced_epochs() == int((1.0 + runner.SLICE_SECONDS) * 50) - 40  # catches up the 10 behind
    clock.now += 100.0  # a long stall (e.g. a busy server) is not made up in one burst
    assert run._paced_epochs() == 4 * per_slice


def test_a_new_pace_counts_from_now(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(runner.time, "monotonic", clock)
    run = new_run(InlineExecutor())
    run.epochs_per_s = 10.0
    run._trainer.run(epochs=3)
    clock.now += 5.0
    run.epochs_per_s = 2.0  # the speed control moved: no catching up on the old timeline
    assert run._pace_origin == (clock.now, 3)
    assert run._paced_epochs() == 1


@pytest.fixture(scope="module")
def pool():
    executor = training_pool(2, nice=0)  # not niced: beside other busy programs a nice-19 worker hardly starts
    executor.warm_up()
    yield executor
    executor.shutdown()


@pytest.mark.slow
def test_pause_keeps_the_slice_under_way_so_the_epoch_shown_is_where_it_stopped(pool):
    run = new_run(pool)
    run.play()
    deadline = time.monotonic() + 60
    while run.poll().step == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    run.pause(wait=60)  # generous: a loaded machine may be slow, never wrong
    assert not run.busy  # the slice under way was taken in
    held = run.poll()
    time.sleep(0.5)
    later = run.poll()
    assert held.state == later.state == "paused"
    assert (later.step, later.epoch) == (held.step, held.epoch)
    run.step_epoch()
    assert run.poll().epoch == held.epoch + 1


@pytest.mark.slow
def test_a_slice_not_back_when_paused_is_dropped_so_nothing_arrives_after_the_pause(pool, monkeypatch):
    """A busy machine: the slice under way is not back within Pause's wait. The page says "paused" at once;
    the slice, when it comes back, must not move the run on (CI saw epoch 637 become 643 after "paused")."""
    monkeypatch.setattr(runner, "slice_seconds", lambda: 1.5)  # every slice outlasts Pause's wait
    run = new_run(pool)
    run.play()
    deadline = time.monotonic() + 60
    while run.poll().step == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    run.poll()  # the next slice is under way now
    assert run.busy
    run.pause(wait=0.05)
    assert not run.busy and not run.active  # dropped: the page stops polling for it
    held = run.poll()
    time.sleep(2.0)  # the dropped slice has come back by now
    later = run.poll()
    assert held.state == later.state == "paused"
    assert (later.step, later.epoch, later.batch_losses.size) == (held.step, held.epoch, held.batch_losses.size)
    run.step_epoch()  # trains on from the run as shown, not from the dropped slice's end
    assert run.poll().epoch == held.epoch + 1


@pytest.mark.parametrize(("playing", "slice_s", "redraw_s"), [(0, 0.15, 0.15), (2, 0.15, 0.15), (4, 0.3, 0.3),
                                                             (6, 0.45, 0.45), (8, 0.5, 0.6), (100, 0.5, 1.0)])
def test_a_crowd_gets_longer_slices_and_slower_redraws_within_bounds(monkeypatch, playing, slice_s, redraw_s):
    """One or two runs: short slices (Pause holds within 0.15 s) and a redraw every 0.15 s; a classroom: fewer
    round trips through the server per second of training (slices up to 0.5 s) and redraws up to 1 s apart."""
    monkeypatch.setattr(runner, "playing_runs", lambda: playing)
    assert runner.slice_seconds() == pytest.approx(slice_s)
    assert runner.redraw_interval() == pytest.approx(redraw_s)
