"""The page scripts' gate (nnviz.gate): how many run at once, who goes next, who never waits. No timing asserted."""

import dataclasses
import threading

import pytest

from nnviz.gate import ACTION, FIRST, LIVE, POLL, Gate


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

    import nnviz.gate as gate_module

    kinds = []

    class Recording(Gate):
        def turn(self, kind):
            kinds.append(kind)
            return super().turn(kind)

    monkeypatch.setattr(gate_module, "_GATE", Recording())

    def page():
        import streamlit as st

        from nnviz.gate import LIVE
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


def test_while_the_server_has_too_much_to_send_clicks_and_countdowns_hold_back_but_visitors_and_charts_go():
    """300 Train presses left 23,000 messages to send and a visitor's page, run in 2 s, reached the browser 33 s
    later. Above ``max_backlog`` a click's page or a queue countdown waits before lining up; a first page and a
    live chart go at once."""
    backlog = {"n": 5000}
    gate = Gate(slots=3, backlog=lambda: backlog["n"], max_backlog=1000, pace=0.005)
    click, countdown = Holder(gate, ACTION), Holder(gate, POLL)
    visitor, chart = Holder(gate, FIRST), Holder(gate, LIVE)
    assert visitor.inside.wait(30) and chart.inside.wait(30)
    visitor.release()
    chart.release()
    assert not click.inside.is_set() and not countdown.inside.is_set() and gate.waiting == 2  # held back, in line
    backlog["n"] = 200  # sent: they go
    assert click.inside.wait(30) and countdown.inside.wait(30)
    click.release()
    countdown.release()


def test_a_gate_that_cannot_read_the_backlog_does_not_hold_anyone_back():
    gate = Gate(slots=1, backlog=lambda: None, max_backlog=0, pace=0.005)
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
    gate = Gate(slots=1, backlog=lambda: backlog["n"], max_backlog=1000, pace=0.005)
    busy = Holder(gate, LIVE)
    busy.inside.wait(30)
    click = Holder(gate, ACTION)
    wait_until(lambda: gate.waiting == 1, "the click in line")
    backlog["n"] = 5000
    busy.release()
    chart = Holder(gate, LIVE)  # a live chart arriving now still goes first
    assert chart.inside.wait(30)
    chart.release()
    assert not click.inside.is_set() and gate.waiting == 1 and gate.running == 0
    backlog["n"] = 0
    assert click.inside.wait(30)
    click.release()
