"""The one-at-a-time training queue: order, one job per session, a bounded line, abandoned jobs dropped,
and a queue that outlives any single job's failure. No timing assertions: tests wait for states."""

import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest
from process_helpers import clean_up, kill_and_wait_for_children

from nnviz.serving.jobs import Job, JobProgress, QueueRefused, Reporter, TrainingQueue, call_target

RELEASE = threading.Event()


def wait_for_release(params, workdir):
    RELEASE.wait(30)
    return params["name"]


def boom(params, workdir):
    raise MemoryError("out of memory")


def job(name, owner="", alive=None, target=wait_for_release, client=""):
    extra = {"alive": alive} if alive is not None else {}
    return Job(name, target, {"name": name}, JobProgress(epochs=1), owner=owner, client=client, **extra)


def until(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture
def queue():
    RELEASE.clear()
    yield TrainingQueue(inline=True, poll=0.01, owner_grace=0.2)
    RELEASE.set()


def test_one_training_at_a_time_and_the_others_queue(queue):
    first = queue.submit(job("first", "a"))
    second = queue.submit(job("second", "b"))
    until(lambda: first.state == "running")
    assert second.state == "queued"
    assert queue.position(second) == 1 and queue.position(first) == 0
    RELEASE.set()
    until(lambda: second.state == "done")
    assert first.result == "first" and second.result == "second"
    assert second.started_at >= first.finished_at


def test_a_stopped_job_that_was_still_queued_never_runs(queue):
    first = queue.submit(job("first", "a"))
    second = queue.submit(job("second", "b"))
    second.stop()
    RELEASE.set()
    until(lambda: first.state == "done" and queue.waiting() == 0 and queue.running is None)
    assert second.state == "stopped" and second.started_at is None


def test_a_failing_job_is_reported_not_raised_and_the_next_one_runs(queue):
    bad = queue.submit(job("boom", "a", target=boom))
    good = queue.submit(job("good", "b"))
    RELEASE.set()
    until(lambda: good.state == "done")
    assert bad.state == "failed" and "MemoryError: out of memory" in bad.error


def test_a_full_temp_dir_fails_one_job_and_the_queue_goes_on(queue, monkeypatch):
    real = tempfile.mkdtemp
    calls = []

    def full_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkdtemp", full_once)
    first = queue.submit(job("first", "a"))
    until(lambda: first.state == "failed")
    assert "No space left on device" in first.error
    second = queue.submit(job("second", "b"))
    RELEASE.set()
    until(lambda: second.state == "done")
    assert second.result == "second"


def test_the_queue_thread_survives_an_error_outside_any_job(queue, monkeypatch):
    broken = {"on": True}
    original = queue._run

    def run(j):
        if broken.pop("on", False):
            raise RuntimeError("a bug in the queue itself")
        original(j)

    monkeypatch.setattr(queue, "_run", run)
    lost = queue.submit(job("lost", "a"))
    until(lambda: queue.running is None and queue.waiting() == 0)
    assert queue._thread.is_alive()
    after = queue.submit(job("after", "b"))
    RELEASE.set()
    until(lambda: after.state == "done")
    assert lost.state == "failed" and "a bug in the queue itself" in lost.error


def test_one_queued_or_running_training_per_session(queue):
    first = queue.submit(job("first", "alice"))
    with pytest.raises(QueueRefused, match="already have a training queued or running"):
        queue.submit(job("again", "alice"))
    queue.submit(job("bob's", "bob"))
    with pytest.raises(QueueRefused, match="already have a training"):
        queue.submit(job("bob again", "bob"))  # also while only waiting
    RELEASE.set()
    until(lambda: first.state == "done")
    until(lambda: queue.running is None and queue.waiting() == 0)
    assert queue.submit(job("later", "alice")).state in ("queued", "running", "done")  # a new one once done


def test_a_full_queue_says_so():
    RELEASE.clear()
    queue = TrainingQueue(inline=True, max_waiting=3, poll=0.01)
    try:
        running = queue.submit(job("running", "s0"))
        until(lambda: running.state == "running")
        waiting = [queue.submit(job(f"w{i}", f"s{i + 1}")) for i in range(3)]
        with pytest.raises(QueueRefused, match="The queue is full: 3 trainings are waiting"):
            queue.submit(job("one too many", "s9"))
        assert all(w.state == "queued" for w in waiting)
    finally:
        RELEASE.set()


def test_forty_tabs_of_one_client_cannot_fill_the_queue_nor_keep_anyone_waiting_behind_them():
    """Issue 32, item 9: 40 trainings queued from one client filled the queue ("The queue is full") for everyone."""
    RELEASE.clear()
    queue = TrainingQueue(inline=True, max_waiting=40, poll=0.01)
    try:
        hog = [queue.submit(job("hog0", "tab0", client="10.0.0.66"))]
        until(lambda: hog[0].state == "running")
        hog += [queue.submit(job(f"hog{i}", f"tab{i}", client="10.0.0.66")) for i in range(1, 41)]
        assert queue.waiting() == 40
        students = [queue.submit(job(f"student{i}", f"s{i}", client=f"10.0.1.{i}")) for i in range(5)]
        assert all(s.state == "queued" for s in students)  # room was made: the hog's newest jobs were dropped
        assert [j.state for j in hog[-5:]] == ["dropped"] * 5 and "another visitor" in hog[-1].error
        assert [queue.position(s) for s in students] == [1, 2, 3, 4, 5]  # each right behind the running one, in turn
        assert queue.position(hog[1]) == 6
    finally:
        RELEASE.set()


def test_the_line_goes_round_by_round_per_client(queue):
    running = queue.submit(job("running", "x0", client="A"))
    until(lambda: running.state == "running")
    a1, a2 = queue.submit(job("a1", "x1", client="A")), queue.submit(job("a2", "x2", client="A"))
    b1 = queue.submit(job("b1", "y1", client="B"))
    assert [queue.position(j) for j in (b1, a1, a2)] == [1, 2, 3]


def test_jobs_of_closed_pages_are_dropped_and_a_running_one_is_stopped(queue):
    gone = {"a": False, "b": False}
    running = queue.submit(job("running", "a", alive=lambda: not gone["a"],
                               target=lambda params, workdir: _wait_for_stop(workdir)))
    waiting = queue.submit(job("waiting", "b", alive=lambda: not gone["b"]))
    other = queue.submit(job("other", "c"))
    until(lambda: running.state == "running")
    gone["b"] = True  # b's tab closes while its job waits
    until(lambda: waiting.state == "dropped")
    assert queue.position(other) == 1
    gone["a"] = True  # a's tab closes while its job runs
    until(lambda: running.state == "stopped")
    RELEASE.set()
    until(lambda: other.state == "done")
    assert waiting.started_at is None


def test_a_page_that_is_gone_for_a_moment_keeps_its_training(queue):
    gone = {"a": False}
    running = queue.submit(job("running", "a", alive=lambda: not gone["a"]))
    until(lambda: running.state == "running")
    gone["a"] = True  # the tab's connection lapses for less than the grace time (0.2 s here)
    time.sleep(0.05)
    gone["a"] = False
    time.sleep(0.3)
    assert running.state == "running" and not running.stop_requested.is_set()
    RELEASE.set()
    until(lambda: running.state == "done")


def _wait_for_stop(workdir):
    from pathlib import Path

    until(lambda: Path(workdir, "stop").exists())
    return "stopped early"


def echo(params, workdir):
    return params["name"], workdir


def test_a_target_named_by_module_is_imported_where_it_runs():
    assert call_target(f"{__name__}:echo", {"name": "n"}, "w") == ("n", "w")
    with pytest.raises(ModuleNotFoundError):
        call_target("nnviz.no_such_module:train", {}, "w")


def hold(params, workdir):
    """A job that says it is running, then runs until it is asked to stop (at most 10 minutes)."""
    reporter = Reporter(workdir, JobProgress(epochs=1, stage="holding"))
    reporter.write(force=True)
    deadline = time.monotonic() + 600
    while not reporter.stop_requested and time.monotonic() < deadline:
        time.sleep(0.1)
    return "held"


QUEUE_PARENT = """
import multiprocessing, sys, time
sys.path[:0] = ["tests", "tests/serving"]  # test_jobs and the helpers it imports
from nnviz.serving.jobs import Job, JobProgress, TrainingQueue
queue = TrainingQueue(poll=0.05, nice=0)  # not niced: beside busy programs a nice-19 worker hardly starts
job = queue.submit(Job("held", "test_jobs:hold", {}, JobProgress(epochs=1)))
while job.progress.stage != "holding":
    assert job.state in ("queued", "running"), job.error
    time.sleep(0.05)
print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
time.sleep(600)
"""


def test_the_training_process_dies_with_a_killed_server():
    """kill -9 of the server while a (Keras-sized) job runs: its worker process does not live on."""
    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen([sys.executable, "-c", QUEUE_PARENT], cwd=root, stdout=subprocess.PIPE, text=True)
    workers = []
    try:
        workers = [psutil.Process(int(pid)) for pid in parent.stdout.readline().split()]
        assert len(workers) == 1  # one job at a time, in one worker process
        assert workers[0].is_running() and workers[0].ppid() == parent.pid
        kill_and_wait_for_children(parent, workers, deadline_s=60)
    finally:
        clean_up(parent, workers)
