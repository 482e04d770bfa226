"""Admission: runs beyond what the server can show live wait in a fair queue, counting down, and start
by themselves; Pause/Reset leaves the queue; a run whose page stopped asking loses its place.

No timing here: the clock and the server's load are fakes the tests set.
"""

from concurrent.futures import Future

import pytest

import nnviz.serving.admission as admission_module
from nnviz import ShallowNN, Trainer
from nnviz.serving.admission import Admission, Load, queue_message, queue_poll_interval
from nnviz.serving.runner import DataRef, InlineExecutor, Run, load_data


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


class Meter:
    """The server's load as a test sets it; None (not measured yet) keeps the capacity where it is."""

    def __init__(self, load=None):
        self.load = load

    def read(self):
        return self.load


def hall(floor=1, initial=2, **kw):
    clock, meter = Clock(), Meter()
    return Admission(floor, meter, clock=clock, initial=initial, **kw), clock, meter


def test_first_come_first_served_and_the_queue_counts_down():
    adm, clock, _ = hall(initial=2)
    assert adm.request("a") and adm.request("b")
    assert not adm.request("c") and not adm.request("d") and not adm.request("e")
    assert [adm.status(k) for k in "abcde"] == [("live", 0), ("live", 0), ("queued", 0), ("queued", 1), ("queued", 2)]
    adm.withdraw("a")  # a finished: the head of the queue starts, the others move up
    assert [adm.status(k) for k in "bcde"] == [("live", 0), ("live", 0), ("queued", 0), ("queued", 1)]
    adm.withdraw("b")
    adm.withdraw("c")
    assert adm.status("d") == ("live", 0) and adm.status("e") == ("live", 0)
    assert adm.queued == 0


def test_asking_twice_keeps_the_place():
    adm, _, _ = hall(initial=1)
    adm.request("a")
    adm.request("b")
    adm.request("c")
    assert not adm.request("b")  # a second press does not move b to the back
    assert adm.status("b") == ("queued", 0) and adm.status("c") == ("queued", 1)


def test_pause_or_reset_of_a_queued_run_leaves_the_queue():
    adm, _, _ = hall(initial=1)
    for k in "abcd":
        adm.request(k)
    adm.withdraw("c")  # c's page pressed Pause (or Reset)
    assert adm.status("c") == ("none", 0)
    assert adm.status("b") == ("queued", 0) and adm.status("d") == ("queued", 1)
    adm.withdraw("a")
    assert adm.status("b") == ("live", 0) and adm.status("d") == ("queued", 0)


def test_a_queued_run_whose_page_stopped_polling_is_dropped():
    adm, clock, _ = hall(initial=1, abandon_after=15.0)
    for k in "abcd":
        adm.request(k)
    for _ in range(4):  # a, b and d keep polling; c's tab was closed
        clock.t += 5
        for k in "abd":
            adm.heartbeat(k)
    assert adm.status("c") == ("dropped", 0)
    assert adm.status("b") == ("queued", 0) and adm.status("d") == ("queued", 1)  # d moved up


def test_a_dropped_run_whose_page_is_heard_from_again_takes_back_the_place_its_arrival_earned():
    """Under overload the server hears from every page late: a page dropped for silence that polls again
    was there all along, and must not be sent to the back (nor back to "Ready", which lost 289 of 300
    runs in bench_hall)."""
    adm, clock, _ = hall(initial=1, abandon_after=15.0)
    for k in "abcd":
        adm.request(k)
    clock.t += 20  # b, c and d were not heard from for 20 s; a is live and polling
    adm.heartbeat("a")
    adm.request("e")  # e arrives meanwhile
    assert [adm.status(k)[0] for k in "bcd"] == ["dropped"] * 3 and adm.status("e") == ("queued", 0)
    assert adm.request("c") is False  # c's page polls again
    assert adm.status("c") == ("queued", 0) and adm.status("e") == ("queued", 1)  # e came after c
    adm.request("d")
    adm.request("b")
    assert [adm.status(k) for k in "bcde"] == [("queued", 0), ("queued", 1), ("queued", 2), ("queued", 3)]
    adm.withdraw("a")
    assert adm.status("b") == ("live", 0) and adm.status("e") == ("queued", 2)


def test_a_page_back_after_its_run_was_forgotten_queues_at_the_back():
    adm, clock, _ = hall(initial=1, abandon_after=15.0)
    for k in "abc":
        adm.request(k)
    for _ in range(18):  # b is silent for 90 s: dropped (at 20 s), then forgotten (4 × 15 s after the drop)
        clock.t += 5
        for k in "ac":
            adm.heartbeat(k)
    assert adm.status("b") == ("none", 0)
    adm.request("d")
    assert adm.request("b") is False and adm.status("b") == ("queued", 2)  # behind c and d


def test_when_the_server_hears_from_every_page_late_a_slow_poll_is_not_a_departure():
    adm, clock, _ = hall(initial=1, abandon_after=15.0)
    for k in "abcd":
        adm.request(k)
    for _ in range(6):  # an overloaded server answers each page's poll only every 10 s
        clock.t += 10
        for k in "abcd":
            adm.heartbeat(k)
    assert adm.abandon_time() == 30.0  # 3 × the median gap it sees
    for _ in range(2):  # c's tab is closed; the others go on, still every 10 s
        clock.t += 10
        for k in "abd":
            adm.heartbeat(k)
    assert adm.status("c") == ("queued", 1)  # silent 20 s: more than 15, but that is how slow everyone is
    for _ in range(2):
        clock.t += 10
        for k in "abd":
            adm.heartbeat(k)
    assert adm.status("c") == ("dropped", 0)  # silent 40 s: gone


def test_a_crowd_polling_slowly_in_the_queue_does_not_let_a_closed_live_tab_keep_its_place():
    """Pages far back in the queue are told to poll every 2–22 s; a live page that stops polling is still gone
    after the abandon time, however many slow polls the queue sends."""
    adm, clock, _ = hall(initial=1, abandon_after=15.0)
    adm.request("live")
    crowd = [f"q{i}" for i in range(60)]
    every = {}
    for k in crowd:
        adm.request(k)
        every[k] = round(queue_poll_interval(adm.status(k)[1]))  # as its page is told

    def queue_polls(second):
        for k in crowd:
            if second % every[k] == 0:
                adm.heartbeat(k)

    for second in range(1, 41):  # the live page every 2 s; most of the queue's polls are 5–22 s apart
        clock.t += 1
        if second % 2 == 0:
            adm.heartbeat("live")
        queue_polls(second)
    assert adm.abandon_time() == 15.0  # the live page's 2 s gaps, not the queue's slow ones
    for second in range(41, 58):  # the live tab is closed; the queue's pages keep polling
        clock.t += 1
        queue_polls(second)
    assert adm.status("live") == ("dropped", 0)  # its place is free; it may take it back if its page is heard from again
    assert adm.status("q0") == ("live", 0) and adm.status("q1") == ("queued", 0)


def test_while_the_server_is_late_no_one_is_dropped_for_silence():
    """A late server hears from every page late; dropping live runs then would let queued ones in while the
    dropped ones still train — more live runs than the capacity, and a server later still."""
    adm, clock, meter = hall(initial=1, abandon_after=15.0)
    adm.request("a")
    adm.request("b")
    meter.load = Load(cpu_share=0.95, lag=0.8)  # the server wakes up 0.8 s late
    clock.t += 1
    adm.heartbeat("a")  # the controller reads the load
    clock.t += 30  # nobody heard from for 30 s
    assert adm.status("a") == ("live", 0) and adm.status("b") == ("queued", 0)
    meter.load = Load(cpu_share=0.3, lag=0.01)  # on time again: now silence means gone
    clock.t += 1
    adm.heartbeat("b")
    clock.t += 1
    assert adm.status("a") == ("dropped", 0) and adm.status("b") == ("live", 0)


def test_a_live_run_whose_page_went_away_frees_its_place():
    adm, clock, _ = hall(initial=1, abandon_after=15.0)
    adm.request("a")
    adm.request("b")
    clock.t += 16
    adm.heartbeat("b")
    assert adm.status("a") == ("dropped", 0) and adm.status("b") == ("live", 0)


def test_tabs_closed_mid_run_cannot_jam_the_queue_even_while_their_silence_makes_the_server_late():
    """Issue 32, item 1: six tabs playing 5000-epoch runs vanish. Their silence counted as late polls, a server late
    by its pages neither dropped silent runs nor let anyone in — and it never recovered (a newcomer waited 17 min,
    until a restart). Silence beyond ``hard_silence`` frees a place whatever the lateness."""
    adm, clock, meter = hall(floor=2, initial=6, abandon_after=15.0, hard_silence=60.0)
    meter.load = Load(cpu_share=0.2, lag=0.01)  # the sensors: all is well; only the pages' silence says "late"
    for k in range(6):
        adm.request(f"gone{k}")
    for k in range(4):
        assert not adm.request(f"student{k}")
    for _ in range(70):  # the six tabs are gone; the four queued students poll every second, for 70 s
        clock.t += 1
        for k in range(4):
            adm.heartbeat(f"student{k}")
    assert [adm.status(f"student{k}")[0] for k in range(4)] == ["live"] * 4
    assert all(adm.status(f"gone{k}")[0] == "dropped" for k in range(6))
    adm.request("newcomer")  # and the queue keeps draining for whoever comes next
    assert adm.status("newcomer")[0] == "live"


def test_a_run_whose_session_has_gone_frees_its_place_at_once_even_while_the_server_is_late():
    adm, clock, meter = hall(floor=2, initial=2, abandon_after=15.0)  # a late server still fills its floor
    connected = {"a": True, "b": True}
    adm.request("a", client="ca", alive=lambda: connected["a"])
    adm.request("b", client="cb", alive=lambda: connected["b"])
    assert not adm.request("c", client="cc")
    meter.load = Load(cpu_share=0.95, lag=0.8)  # a late server keeps silent pages' places ...
    connected["a"] = False  # ... but a's tab was closed: Streamlit disconnected its session
    clock.t += 1  # the controller's next look (one period), no silence needed
    adm.heartbeat("b")
    assert adm.status("a") == ("dropped", 0) and adm.status("c") == ("live", 0)
    connected["a"] = True  # a network blip: its page comes back and queues where its arrival puts it
    adm.request("d", client="cd")
    assert adm.request("a", client="ca", alive=lambda: connected["a"]) is False
    assert adm.status("a") == ("queued", 0) and adm.status("d") == ("queued", 1)


def test_a_run_told_to_stop_when_its_session_has_gone():
    adm, clock, _ = hall(floor=1, initial=1)
    told = []

    class Key:
        def evicted(self):
            told.append(self)

    key, gone = Key(), {"yes": False}
    adm.request(key, alive=lambda: not gone["yes"])
    gone["yes"] = True
    clock.t += 1
    adm.status("anyone")
    for _ in range(200):
        if told:
            break
        import time

        time.sleep(0.01)
    assert told == [key]


def test_thirty_tabs_of_one_client_take_one_clients_share_of_the_places():
    """Issue 32, item 9: one client with 30 heavy tabs kept a real student queued beyond 240 s (its place went from 2
    ahead back to 9). Places go round by round per client, and a client over its share gives places back."""
    adm, clock, meter = hall(floor=2, initial=4)
    for k in range(30):
        adm.request(("hog", k), client="hog")
    assert adm.live == 4
    adm.request("student", client="s")
    assert adm.status("student") == ("queued", 0)  # ahead of the hog's 26 waiting tabs
    clock.t += 1  # the next look: the hog holds 4 places, its share of 4 between 2 clients is 2
    for k in range(30):
        adm.heartbeat(("hog", k))
    assert adm.status("student") == ("live", 0)
    hog_live = sum(adm.status(("hog", k))[0] == "live" for k in range(30))
    assert hog_live == 3 and adm.live == 4  # one place given back, and no more than the student needed
    for k in range(10):  # ten more students: each new one waits behind no tab of the hog's
        adm.request(f"s{k}", client=f"c{k}")
        assert adm.status(f"s{k}")[1] <= k


def test_a_class_of_one_client_each_is_served_in_order_of_arrival():
    adm, _, _ = hall(floor=1, initial=1)
    for k in "abcd":
        adm.request(k, client=f"client-{k}")
    assert [adm.status(k) for k in "abcd"] == [("live", 0), ("queued", 0), ("queued", 1), ("queued", 2)]


def test_capacity_grows_with_headroom_step_by_step_and_stops_when_the_server_is_late():
    adm, clock, meter = hall(floor=2, initial=2, target_share=0.6)
    for i in range(40):
        adm.request(i)
    assert adm.live == 2
    meter.load = Load(cpu_share=0.04, lag=0.0)  # 0.02 of a core per live run: room for 30 at 60 %
    seen = [adm.live]
    for _ in range(20):  # every live page polls once a second
        clock.t += 1.0
        for k in range(adm.live):
            adm.heartbeat(k)
        seen.append(adm.live)
        meter.load = Load(cpu_share=0.02 * adm.live, lag=0.0)
    assert all(b <= int(a * 1.5) + 1 for a, b in zip(seen, seen[1:], strict=False))  # never all at once
    assert seen[-1] == 30  # 0.6 of the core / 0.02 per run
    meter.load = Load(cpu_share=0.5, lag=0.4)  # the server answers late: no one else gets in
    clock.t += 1.0
    adm.withdraw(0)
    assert adm.live == 29 and adm.capacity <= 29


def test_live_pages_heard_from_late_stop_admission_even_when_the_sensors_say_all_is_well():
    """300 students: the server's event loop fell behind while its sensor thread woke up on time and its CPU
    share looked low; the capacity grew to 65 live runs. The live pages' own polls tell the truth."""
    adm, clock, meter = hall(floor=1, initial=4)
    meter.load = Load(cpu_share=0.2, lag=0.01)  # the sensors: plenty of room
    for k in range(4):
        adm.request(k)
    for _ in range(3):  # the four live pages should poll every second; the server hears them every 3 s
        clock.t += 3
        for k in range(4):
            adm.heartbeat(k)
    for k in range(4, 10):
        adm.request(k)
    for _ in range(3):
        clock.t += 3
        for k in range(4):
            adm.heartbeat(k)
    assert adm.live == 4 and adm.capacity <= 4  # nobody new while its live pages wait
    for _ in range(6):  # served on time again (every 0.5 s): the queue moves
        clock.t += 0.5
        for k in range(4):
            adm.heartbeat(k)
        clock.t += 0.5
    assert adm.live > 4


def test_live_pages_the_server_does_not_hear_from_at_all_stop_admission():
    """300 students on a slower machine: the swamped server received almost no poll from its live pages, so
    the gaps it did receive said nothing — and 79 runs were let in. A live page's silence counts as a gap."""
    adm, clock, meter = hall(floor=1, initial=6)
    meter.load = Load(cpu_share=0.2, lag=0.01)  # the sensors: plenty of room
    for k in range(6):
        adm.request(k)
    clock.t += 0.5
    for k in range(6):  # each live page polls once, then the server hears no more of them
        adm.heartbeat(k)
    clock.t += 3.0
    for k in range(6, 20):  # a crowd presses Train: the server hears them, not the live pages
        assert not adm.request(k)
    for step in range(8):
        clock.t += 0.5
        adm.status(6 + step)
    assert adm.live == 6 and adm.capacity <= 6
    for _ in range(14):  # heard every 0.5 s again: once the long gaps are 5 s old, the queue moves
        clock.t += 0.5
        for k in range(6):
            adm.heartbeat(k)
    assert adm.live > 6


def test_one_closed_tab_among_the_live_pages_does_not_stop_admission():
    adm, clock, meter = hall(floor=1, initial=10)
    meter.load = Load(cpu_share=0.2, lag=0.01)
    for k in range(20):
        adm.request(k)
    clock.t += 0.5
    adm.heartbeat(0)  # page 0 polls once and is closed
    for _ in range(10):  # the nine others poll every 0.5 s
        clock.t += 0.5
        for k in range(1, 10):
            adm.heartbeat(k)
    assert adm.live > 10


def test_the_capacity_grows_only_once_the_runs_let_in_are_heard_from():
    """A run let in from far back in the queue hears of it at its page's next poll (up to 30 s): until then it
    costs the server nothing, and growing on that cheap-looking load let a crowd in at once."""
    adm, clock, meter = hall(floor=1, initial=2)
    meter.load = Load(cpu_share=0.02, lag=0.0)  # looks nearly free
    for k in range(40):
        adm.request(k)
    for k in (0, 1):
        adm.heartbeat(k)
    clock.t += 1.0
    adm.heartbeat(0)
    assert adm.live == 4  # grown once: 2 → 4 (×1.5 + 1)
    for _ in range(10):  # the two new pages do not poll yet: no more growth, however cheap it looks
        clock.t += 1.0
        adm.heartbeat(0)
        adm.heartbeat(1)
    assert adm.live == 4
    for k in (2, 3):  # they poll: what they cost is measured, and the capacity grows again
        adm.heartbeat(k)
    clock.t += 1.0
    for k in range(4):
        adm.heartbeat(k)
    assert adm.live > 4


def test_capacity_shrinks_to_what_fits_but_never_below_the_workers():
    adm, clock, meter = hall(floor=2, initial=10, target_share=0.6)
    for i in range(12):
        adm.request(i)
    assert adm.live == 10
    meter.load = Load(cpu_share=1.0, lag=0.0)  # 0.1 of a core per run: 6 fit in 60 %
    clock.t += 1.0
    adm.heartbeat(0)
    assert adm.capacity == 6
    for i in range(10):  # as live runs finish, queued ones wait until there is room
        adm.withdraw(i)
    assert adm.live == 2 and adm.queued == 0
    meter.load = Load(cpu_share=0.9, lag=2.0)  # even a server far behind keeps its workers fed
    clock.t += 1.0
    adm.withdraw(10)
    adm.request("x")
    assert adm.capacity == 2 and adm.status("x") == ("live", 0)


def test_queue_message_says_how_many_are_ahead():
    assert queue_message(3).startswith("Queued: 3 runs ahead")
    assert queue_message(1).startswith("Queued: 1 run ahead")
    assert queue_message(0).startswith("Queued: next to start")


# ----------------------------------------------------------------------------- a Run in the queue

REF = DataRef("moons", samples=200, noise=0.2, train_split=0.7, seed=1)


class Manual:
    """An executor whose slices run when the test says (``step``), like a pool worker finishing one."""

    chains = True
    workers = 1

    def __init__(self):
        self.pending = []

    def submit(self, fn, *args):
        future = Future()
        self.pending.append((future, fn, args))
        return future

    def step(self):
        future, fn, args = self.pending.pop(0)
        future.set_result(fn(*args))


def a_run(adm, epochs=3, executor=None):
    ds = load_data(REF)
    trainer = Trainer(ShallowNN(2, 4, 1, init_scale=0.5, seed=1), ds.X_train, ds.y_train, ds.X_test, ds.y_test,
                      lr=0.5, batch_size=20, epochs=epochs)
    return Run(trainer, REF, executor=executor or InlineExecutor(), admission=adm)


def finish(run, limit=500):
    for _ in range(limit):
        snap = run.poll()
        if not run.active:
            return snap
        if isinstance(run.executor, Manual) and run.executor.pending:
            run.executor.step()
    raise AssertionError(f"the run is still {run.state}")


def test_a_queued_run_waits_counts_down_and_starts_by_itself():
    adm, _, _ = hall(initial=1)
    pool = Manual()
    first, second, third = (a_run(adm, executor=pool) for _ in range(3))
    first.play()
    second.play()
    third.play()
    assert first.state == "playing"
    assert (second.poll().state, second.poll().queued_ahead) == ("queued", 0)
    assert (third.poll().state, third.poll().queued_ahead) == ("queued", 1)
    assert second.active and second.history.n_steps == 0  # queued: the page keeps polling, nothing trains
    assert finish(first).state == "finished"
    assert second.poll().state == "playing"
    assert third.poll().queued_ahead == 0
    snap = finish(second)
    assert snap.state == "finished" and snap.epoch == 3
    assert third.poll().state == "playing"


def test_pause_of_a_queued_run_returns_it_to_where_it_was():
    adm, _, _ = hall(initial=1)
    first, second = a_run(adm, executor=Manual()), a_run(adm, executor=Manual())
    first.play()
    second.play()
    assert second.state == "queued"
    second.pause()
    assert second.state == "ready" and adm.queued == 0 and not second.active
    second.play()
    assert second.state == "queued"
    first.pause()  # first gives its place back: second starts at its next poll
    assert second.poll().state == "playing"
    first.play()
    assert first.poll().state == "queued"


def test_a_queued_run_whose_page_stops_polling_loses_its_place():
    adm, clock, _ = hall(initial=1, abandon_after=15.0)
    first, second, third = a_run(adm, executor=Manual()), a_run(adm), a_run(adm)
    for r in (first, second, third):
        r.play()
    for _ in range(12):  # second's session went away; first and third keep polling, for 4× the abandon time
        clock.t += 5
        first.poll()
        third.poll()
    snap = third.poll()
    assert (snap.state, snap.queued_ahead) == ("queued", 0)  # waiting longer than 15 s is no reason to be dropped
    assert adm.queued == 1  # second no longer holds anyone up
    # its page comes back (the tab was asleep, or the server too busy to hear it): it queues again where it was
    snap = second.poll()
    assert (snap.state, snap.queued_ahead) == ("queued", 0) and third.poll().queued_ahead == 1
    first.pause()  # places free up: second, back at the head, starts, and after it third
    assert finish(second).state == "finished" and finish(third).state == "finished"


def test_the_finish_message_time_excludes_the_wait_in_the_queue():
    adm, _, _ = hall(initial=1)
    first, second = a_run(adm, executor=Manual()), a_run(adm)
    first.play()
    second.play()
    assert second.poll().wall_seconds == 0.0  # waiting is not training
    finish(first)
    snap = finish(second)
    assert snap.state == "finished" and snap.wall_seconds > 0


def test_the_process_wide_admission_is_one_object_with_two_runs_per_worker_as_floor(monkeypatch):
    monkeypatch.setattr(admission_module, "_ADMISSION", None)
    adm = admission_module.get_admission(3)
    assert adm is admission_module.get_admission(5) and adm.floor == 6


def test_a_floor_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        Admission(0, Meter())


def test_queued_pages_poll_less_often_far_back_and_the_whole_queue_polls_a_bounded_number_of_times():
    from nnviz.serving.admission import QUEUE_POLL_MAX, queue_poll_interval

    assert queue_poll_interval(0) == 2.0
    assert queue_poll_interval(0) < queue_poll_interval(30) < queue_poll_interval(10_000) == QUEUE_POLL_MAX
    per_second = sum(1 / queue_poll_interval(k) for k in range(300))
    assert per_second < 20  # 300 queued pages: not the 60 a second that took the server's whole core


def test_a_page_far_back_is_not_dropped_for_polling_as_slowly_as_it_was_told():
    adm, clock, _ = hall(initial=1, abandon_after=15.0)
    for k in range(100):
        adm.request(k)
    last = 99  # 98 ahead of it: its page polls every queue_poll_interval(98) s
    from nnviz.serving.admission import queue_poll_interval

    told = queue_poll_interval(98)
    assert told > 15
    for _ in range(3):  # the others poll often; the last one just as slowly as it was told
        for _ in range(int(told)):
            clock.t += 1
            for k in range(99):
                adm.heartbeat(k)
        adm.heartbeat(last)
    assert adm.status(last) == ("queued", 98)


def test_a_run_admitted_from_the_queue_starts_by_itself_before_its_page_polls():
    import time

    adm, _, _ = hall(initial=1)
    pool = Manual()
    first, second = a_run(adm, executor=pool), a_run(adm, executor=pool)
    def slices():
        return sum(fn.__name__ == "_train_slice" for _, fn, _ in pool.pending)

    first.play()
    second.play()
    assert second.state == "queued" and slices() == 1
    first.pause()  # the place frees up; second's page has not polled since
    deadline = time.monotonic() + 10
    while second.state != "playing" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert second.state == "playing" and slices() == 2  # it sent its first slice to the pool itself


# ----------------------------------------------------------------------------- the page


def test_the_page_says_queued_with_the_runs_ahead_and_pause_leaves_the_queue(open_page, monkeypatch):
    adm = Admission(1, Meter(), clock=Clock(), initial=1)  # no time passes: nobody is dropped for silence
    monkeypatch.setattr(admission_module, "_ADMISSION", adm)
    adm.request("another student's run")  # the only live place is taken
    at = open_page("shallow_network", ds="xor", epochs=20, speed="max")
    at.button(key="tr_train").click().run()
    assert not at.exception
    assert [i.value for i in at.info if i.value.startswith("Queued:")][0].startswith("Queued: next to start")
    assert "queued" in " ".join(c.value for c in at.caption)
    assert at.button(key="tr_train").disabled and not at.button(key="tr_pause").disabled

    at.button(key="tr_pause").click().run()  # Pause leaves the queue; the run is as it was
    assert adm.queued == 0 and not any(i.value.startswith("Queued:") for i in at.info)
    assert not at.button(key="tr_train").disabled

    at.button(key="tr_train").click().run()
    assert any(i.value.startswith("Queued:") for i in at.info)
    adm.withdraw("another student's run")  # a place frees up: the run starts by itself at the next poll
    at.run()
    assert not at.exception and not any(i.value.startswith("Queued:") for i in at.info)
    assert "Epoch 0 / 20" not in " ".join(m.value for m in at.markdown)


def test_a_live_run_dropped_for_silence_stops_training_and_asks_again_when_its_page_polls():
    import time

    adm, clock, _ = hall(initial=1, abandon_after=15.0)
    pool = Manual()
    first, second = a_run(adm, epochs=100_000, executor=pool), a_run(adm, epochs=100_000, executor=pool)
    first.play()
    second.play()
    assert (first.state, second.state) == ("playing", "queued")
    clock.t += 20  # first's page is silent; second's polls
    second.poll()
    deadline = time.monotonic() + 10
    while (first.state, second.state) != ("queued", "playing") and time.monotonic() < deadline:
        time.sleep(0.01)
    assert (first.state, second.state) == ("queued", "playing")  # never two training for one place
    for _ in range(len(pool.pending)):  # what was under way comes back (first's slice among it): first sends no next one
        pool.step()
    assert not [fn for _, fn, args in pool.pending if fn.__name__ == "_train_slice" and args[0] is first._trainer]
    snap = first.poll()  # its page is back: it queues behind second
    assert (snap.state, snap.queued_ahead) == ("queued", 0) and adm.status(first) == ("queued", 0)
