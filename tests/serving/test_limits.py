"""What a click may cost: run starts per session and per client (nnviz.serving.limits), a pause that takes back a slice no
worker has started, and the Shallow network page under a Train/Reset loop. No timing: the clock is a fake."""

from concurrent.futures import Future

import pytest

import nnviz.serving.runner as runner
from nnviz import ShallowNN, Trainer
from nnviz.serving.identity import NOBODY
from nnviz.serving.limits import Buckets, StartLimits
from nnviz.serving.runner import DataRef, Run, load_data


class Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_a_bucket_gives_its_burst_then_its_rate():
    clock = Clock()
    b = Buckets(rate=2.0, burst=3, clock=clock)
    for _ in range(3):
        assert b.wait("k") == 0
        b.take("k")
    assert b.wait("k") == pytest.approx(0.5)
    assert b.wait("other") == 0
    clock.t += 0.5
    assert b.wait("k") == 0
    with pytest.raises(ValueError, match="rate > 0"):
        Buckets(rate=0, burst=1)


def test_starts_are_limited_per_tab_and_per_client():
    clock = Clock()
    limits = StartLimits(clock=clock)
    assert [limits.start("tab", "c") for _ in range(5)][-1] > 0  # four at once, then wait
    for tab in range(296):  # other tabs of the same client (a lecture hall behind one address): its 300, then wait
        assert limits.start(f"t{tab}", "c") == 0
    assert limits.start("fresh tab", "c") > 0
    assert limits.start("elsewhere", "another client") == 0
    clock.t += 2.0
    assert limits.start("tab", "c") == 0  # refilled (one every two seconds for the tab, ten a second for the client)


class Manual:
    chains = True
    workers = 1

    def __init__(self):
        self.pending = []

    def submit(self, fn, *args):
        future = Future()
        self.pending.append((future, fn, args))
        return future


REF = DataRef("moons", samples=200, noise=0.2, train_split=0.7, seed=1)


def a_run(executor, owner=NOBODY):
    ds = load_data(REF)
    trainer = Trainer(ShallowNN(2, 4, 1, init_scale=0.5, seed=1), ds.X_train, ds.y_train, ds.X_test, ds.y_test,
                      lr=0.5, batch_size=20, epochs=100)
    from nnviz.serving.admission import Admission

    class Meter:
        def read(self):
            return None

    return Run(trainer, REF, executor=executor, admission=Admission(1, Meter(), clock=Clock(), initial=4), owner=owner)


def test_a_pause_takes_back_a_slice_no_worker_has_started():
    pool = Manual()
    run = a_run(pool)
    run.play()
    (future, fn, _), = [p for p in pool.pending if p[1].__name__ == "_train_slice"]
    run.pause(wait=0.0)
    assert future.cancelled() and run.state == "paused" and not run.busy  # a worker will skip it
    run.play()  # and Train goes on from where it was
    assert run.state == "playing" and run.busy


@pytest.mark.slow
def test_a_train_reset_loop_is_told_to_slow_down(open_page, monkeypatch):
    """Issue 32, item 10: Train/Reset spam (115 pairs in 30 s from 4 tabs) slowed two other students' training 15x:
    each start keeps a worker busy with a slice nobody sees."""
    monkeypatch.setattr(runner, "STARTS", StartLimits(clock=Clock()))  # no time passes: only the burst
    at = open_page("shallow_network", ds="moons", epochs=2000, speed="max")
    started = 0
    for _ in range(8):
        at.button(key="tr_train").click().run()
        assert not at.exception
        state = next(c.value for c in at.caption if c.value.startswith("step "))
        started += not state.endswith("ready")  # training, or (inline, as fast as possible) finished already
        at.button(key="tr_reset").click().run()
    assert started == 4
    at.button(key="tr_train").click().run()
    warnings = " ".join(w.value for w in at.warning)
    assert "Too many runs started from here in a short time: wait 2 s" in warnings
