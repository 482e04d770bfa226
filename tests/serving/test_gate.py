"""The page scripts' gate (nnviz.serving.gate): how many run at once, who goes next, who never waits. No timing asserted."""

import dataclasses
import itertools
import threading

import pytest

from nnviz.serving.gate import ACTION, FIRST, LIVE, POLL, Gate


def wait_until(predicate, what: str):
    done = threading.Event()
    for _ in range(2000):
        if predicate():
            return
        done.wait(0.005)
    raise AssertionError(f"never happened: {what}")


class Holder:
    """A thread that takes a turn of a kind and keeps it until told to leave."""

    def __init__(self, gate: Gate, kind: int, log: list | None = None, name: str = ""):
        self.inside, self.leave = threading.Event(), threading.Event()

        def run():
            with gate.turn(kind):
                if log is not None:
                    log.append(name)
                self.inside.set()
                self.leave.wait(30)

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def release(self):
        self.leave.set()
        self.thread.join(30)
        assert not self.thread.is_alive()


def test_no_more_scripts_run_at_once_than_the_gate_has_slots():
    gate = Gate(slots=3)
    holders = [Holder(gate, ACTION) for _ in range(8)]
    wait_until(lambda: gate.running == 3 and gate.waiting == 5, "3 running, 5 waiting")
    assert sum(h.inside.is_set() for h in holders) == 3
    for h in holders:  # each one that leaves lets exactly one more in, until all have had a turn
        h.inside.wait(30)
        h.release()
    assert gate.running == 0 and gate.waiting == 0


def test_turns_go_to_live_charts_then_pages_then_queue_countdowns_each_in_order_of_arrival():
    gate = Gate(slots=1)
    log: list[str] = []
    first = Holder(gate, ACTION)
    first.inside.wait(30)
    waiters = []
    for kind, name in [(POLL, "poll 1"), (ACTION, "page 1"), (LIVE, "chart 1"), (POLL, "poll 2"),
                       (LIVE, "chart 2"), (ACTION, "page 2")]:
        waiters.append(Holder(gate, kind, log, name))
        count = len(waiters)
        wait_until(lambda count=count: gate.waiting == count, f"{name} waiting")
    first.release()
    for _ in waiters:  # one at a time: release whoever is inside, the next comes in
        wait_until(lambda: any(w.inside.is_set() and not w.leave.is_set() for w in waiters), "someone inside")
        next(w for w in waiters if w.inside.is_set() and not w.leave.is_set()).release()
    assert log == ["chart 1", "chart 2", "page 1", "page 2", "poll 1", "poll 2"]


def test_a_visitors_first_page_never_waits_even_with_every_slot_taken():
    gate = Gate(slots=1)
    busy = Holder(gate, LIVE)
    busy.inside.wait(30)
    queued = Holder(gate, ACTION)
    wait_until(lambda: gate.waiting == 1, "a page waiting")
    visitor = Holder(gate, FIRST)
    assert visitor.inside.wait(30), "the first page waited for a slot"
    visitor.release()
    assert gate.running == 1 and gate.waiting == 1  # it took no slot and gave none back
    busy.release()
    assert queued.inside.wait(30)
    queued.release()


def test_a_fragment_drawn_inside_its_pages_run_does_not_wait_for_a_second_slot():
    gate = Gate(slots=1)
    with gate.turn(ACTION):
        with gate.turn(LIVE):  # the page's live chart, drawn during the page's run
            assert gate.running == 1
    assert gate.running == 0
    with gate.turn(FIRST):  # a first page's fragments pass with it
        with gate.turn(LIVE):
            assert gate.running == 0


def test_a_script_that_fails_gives_its_slot_back():
    gate = Gate(slots=1)
    with pytest.raises(RuntimeError), gate.turn(ACTION):
        raise RuntimeError("the script raised")
    assert gate.running == 0
    with gate.turn(POLL):
        assert gate.running == 1


def test_a_waiter_stuck_behind_a_slot_that_is_never_given_back_runs_anyway():
    gate = Gate(slots=1, longest_wait=0.05)
    stuck = Holder(gate, ACTION)
    stuck.inside.wait(30)
    ran = Holder(gate, POLL)
    assert ran.inside.wait(30), "the waiter never ran"
    ran.release()
    assert gate.waiting == 0 and gate.running == 1  # the stuck one still holds the only slot
    stuck.release()
    assert gate.running == 0


def test_a_gate_needs_a_slot():
    with pytest.raises(ValueError):
        Gate(slots=0)


def test_a_pages_runs_take_the_turn_of_their_cause(monkeypatch):
    """Under AppTest (the page's script as Streamlit runs it): the session's first run never waits, a click's
    run waits as a page, and a page rerun by a live fragment (``rerun_page``) keeps the fragment's class."""
    from streamlit.testing.v1 import AppTest

    import nnviz.serving.gate as gate_module

    kinds = []

    class Recording(Gate):
        def turn(self, kind):
            kinds.append(kind)
            return super().turn(kind)

    monkeypatch.setattr(gate_module, "_GATE", Recording())

    def page():
        import streamlit as st

        from nnviz.serving.gate import LIVE
        from ui.common import page_turn, rerun_page

        with page_turn():
            st.write("a page")
            if st.button("finish the run"):
                rerun_page(LIVE)  # what the live fragment does when its run stops

    at = AppTest.from_function(page).run()
    at.run()
    at.button[0].click().run()
    assert not at.exception
    assert kinds == [FIRST, ACTION, ACTION, LIVE]


def test_while_the_server_drains_its_backlog_only_a_visitors_first_page_goes():
    """At 300 students the send loop managed 600-900 messages a second while scripts ran (each of them keeps the
    interpreter for up to 5 ms whenever the loop gives it up) and a visitor's page waited 9 s in its queue.
    Above ``max_backlog`` no run gets a slot, live charts included; a first page goes at once."""
    backlog = {"n": 5000}
    gate = Gate(slots=3, backlog=lambda: backlog["n"], max_backlog=1000, resume_backlog=200, pace=0.005,
                live_patience=1e9)
    chart, click, countdown = Holder(gate, LIVE), Holder(gate, ACTION), Holder(gate, POLL)
    visitor = Holder(gate, FIRST)
    assert visitor.inside.wait(30)
    visitor.release()
    wait_until(lambda: gate.waiting == 3, "the three runs in line")
    assert not (chart.inside.is_set() or click.inside.is_set() or countdown.inside.is_set()) and gate.running == 0
    backlog["n"] = 200  # sent: they go
    assert chart.inside.wait(30) and click.inside.wait(30) and countdown.inside.wait(30)
    for h in (chart, click, countdown):
        h.release()


def test_once_draining_the_gate_waits_for_the_backlog_to_fall_to_the_resume_mark():
    """Resuming just under the mark would let the scripts back as soon as the loop has sent a few messages and
    keep it slow; the gate waits until the backlog is down to ``resume_backlog``. Below the mark nothing waits."""
    backlog = {"n": 150}
    ticks = itertools.count()  # a clock that moves a second per look: every look reads the backlog afresh
    gate = Gate(slots=1, backlog=lambda: backlog["n"], max_backlog=200, resume_backlog=40, pace=0.005,
                clock=lambda: float(next(ticks)), live_patience=1e9)
    with gate.turn(LIVE):  # 150: under the mark, not draining
        assert gate.running == 1
    backlog["n"] = 250
    first = Holder(gate, LIVE)
    wait_until(lambda: gate.waiting == 1, "the chart in line")
    backlog["n"] = 150  # fell under the mark, but not to the resume mark: still draining
    for _ in range(20):
        threading.Event().wait(0.005)
        assert not first.inside.is_set() and gate.running == 0
    backlog["n"] = 40
    assert first.inside.wait(30)
    first.release()
    backlog["n"] = 150  # not draining any more: 150 holds no one back
    with gate.turn(ACTION):
        assert gate.running == 1


def test_a_live_chart_held_back_by_the_drain_goes_once_it_has_waited_its_patience():
    """A class watches the live charts: holding them for as long as a lecture hall's presses take to send left
    a chart still for 4.8 s at 100 students. A chart that has waited ``live_patience`` goes; clicks still wait."""
    now, backlog = {"t": 0.0}, {"n": 5000}
    gate = Gate(slots=3, backlog=lambda: backlog["n"], max_backlog=200, resume_backlog=40, pace=0.005,
                clock=lambda: now["t"], live_patience=1.0)
    click = Holder(gate, ACTION)
    chart = Holder(gate, LIVE)
    wait_until(lambda: gate.waiting == 2, "both in line")
    now["t"] = 0.5
    for _ in range(20):  # the pacer looks every 5 ms: half its patience is not enough
        threading.Event().wait(0.005)
        assert not chart.inside.is_set()
    now["t"] = 1.0
    assert chart.inside.wait(30)
    now["t"] = 100.0
    for _ in range(20):  # a click waits for the drain however long it takes
        threading.Event().wait(0.005)
        assert not click.inside.is_set() and gate.waiting == 1
    chart.release()
    assert not click.inside.is_set()
    backlog["n"], now["t"] = 0, 101.0  # sent
    assert click.inside.wait(30)
    click.release()


def test_the_resume_mark_must_be_under_the_holding_mark():
    with pytest.raises(ValueError):
        Gate(backlog=lambda: 0, max_backlog=100, resume_backlog=101)


def test_a_gate_that_cannot_read_the_backlog_does_not_hold_anyone_back():
    gate = Gate(slots=1, backlog=lambda: None, max_backlog=0, resume_backlog=0, pace=0.005)
    with gate.turn(ACTION):
        assert gate.running == 1


def test_the_servers_backlog_is_read_where_streamlit_keeps_it():
    """``ui.common.messages_to_send`` reads Streamlit's internals (each session's outgoing queue); if a new
    Streamlit moves them, it must fail here, not silently stop pacing the lecture hall."""
    import inspect

    from streamlit.runtime import Runtime
    from streamlit.runtime.app_session import AppSession
    from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
    from streamlit.runtime.session_manager import ActiveSessionInfo

    assert "self._session_mgr" in inspect.getsource(Runtime.__init__)
    assert "self._browser_queue = ForwardMsgQueue()" in inspect.getsource(AppSession.__init__)
    from streamlit.runtime.session_manager import SessionManager

    assert ForwardMsgQueue()._queue == []
    assert "session" in {f.name for f in dataclasses.fields(ActiveSessionInfo)}
    assert callable(SessionManager.list_active_sessions)


def test_runs_already_in_line_when_the_backlog_grows_are_held_back_too():
    """Checked at the moment a slot is handed over, not when a run lines up: 200 presses had lined up before the
    backlog passed the mark, and it reached 12,000."""
    backlog = {"n": 0}
    ticks = itertools.count()  # every look reads the backlog afresh
    gate = Gate(slots=1, backlog=lambda: backlog["n"], max_backlog=1000, resume_backlog=200, pace=0.005,
                clock=lambda: float(next(ticks)), live_patience=1e9)
    busy = Holder(gate, LIVE)
    busy.inside.wait(30)
    click = Holder(gate, ACTION)
    wait_until(lambda: gate.waiting == 1, "the click in line")
    backlog["n"] = 5000
    busy.release()
    chart = Holder(gate, LIVE)  # a live chart arriving now lines up ahead of the click, and waits too
    wait_until(lambda: gate.waiting == 2, "the chart in line")
    assert not click.inside.is_set() and not chart.inside.is_set() and gate.running == 0
    backlog["n"] = 0
    assert chart.inside.wait(30)  # its class goes first
    assert not click.inside.is_set()
    chart.release()
    assert click.inside.wait(30)
    click.release()


def test_a_turn_stepped_outside_lets_others_run_and_takes_a_turn_again_after():
    """Issue 32, item 8: pages waiting on a stalled database held the gate's slots, and no live chart was drawn."""
    gate = Gate(slots=1)
    stalled, back = threading.Event(), threading.Event()

    def board_page():
        with gate.turn(ACTION):
            with gate.outside():  # waiting for the database
                stalled.wait(30)
            back.set()

    page = threading.Thread(target=board_page, daemon=True)
    page.start()
    wait_until(lambda: gate.running == 0 and page.is_alive(), "the page stepping out of its turn")
    chart = Holder(gate, LIVE)
    assert chart.inside.wait(30)  # a live chart runs while the page waits on the database
    stalled.set()
    wait_until(lambda: gate.waiting == 1, "the page lining up again for a turn")
    assert not back.is_set()
    chart.release()
    assert back.wait(30)
    page.join(30)
    assert gate.running == 0 and gate.waiting == 0


def test_stepping_outside_without_a_slot_changes_nothing():
    gate = Gate(slots=1)
    with gate.outside():
        pass
    with gate.turn(FIRST):  # a visitor's first page holds no slot
        with gate.outside():
            assert gate.running == 0
    assert gate.running == 0 and gate.waiting == 0
