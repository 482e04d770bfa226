"""Shared fixtures: a page under AppTest, with training run inline (no worker processes)."""

import ast
import os
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NNVIZ_WORKERS", "0")  # page tests train in the test's own thread: deterministic
os.environ["NNVIZ_VALIDATE_FIGURES"] = "1"  # every figure a test builds goes through Plotly's validation

# Inline, a Keras training runs in a thread of the test process, and TensorFlow's autograph parses Python source
# (ast.parse) while AppTest's script runner parses the page (Streamlit's "magic"): CPython 3.11's AST converter
# keeps its recursion depth in state shared by threads, so two parses at once can fail with "SystemError: AST
# constructor recursion depth mismatch" (python/cpython#106905; seen here on 3.11.7 in the MNIST page tests).
# The app never meets this: its Keras trainings run in a worker process of their own (nnviz.serving.jobs).
_parse, _parsing = ast.parse, threading.RLock()  # re-entrant: formatting an error inside a parse parses again


def _one_parse_at_a_time(*args, **kwargs):
    with _parsing:
        return _parse(*args, **kwargs)


ast.parse = _one_parse_at_a_time


def _distinct_sessions():
    """AppTest runs every test session under one id ("test session id"); the app keys per-session limits and a
    session's one playing run on Streamlit's session id, as a real server gives each browser tab its own. So each
    AppTest gets an id of its own here, from its session state (one per AppTest)."""
    from streamlit.testing.v1 import local_script_runner

    runner = local_script_runner.LocalScriptRunner
    if getattr(runner, "_nnviz_distinct", False):
        return
    original = runner.__init__

    def __init__(self, script_path, session_state, *args, **kwargs):
        original(self, script_path, session_state, *args, **kwargs)
        assert self._session_id == "test session id", "AppTest changed how it names its session"
        self._session_id = f"test session {id(session_state):x}"

    runner.__init__ = __init__
    runner._nnviz_distinct = True


_distinct_sessions()


@pytest.fixture
def open_page():
    """``open_page("shallow_network", ds="xor")`` → an AppTest of that page after its first run."""
    from streamlit.testing.v1 import AppTest

    import nnviz.serving.runner as runner

    runner.set_executor(runner.InlineExecutor())

    def _open(page: str, **query):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        for k, v in query.items():
            at.query_params[k] = str(v)
        at.switch_page(f"app_pages/{page}.py")
        at.run()
        assert not at.exception, at.exception
        return at

    return _open


@pytest.fixture(autouse=True)
def empty_admission():
    """Each test starts with no live or queued runs: a page test's run must not wait behind runs that an
    earlier test's sessions left playing (they would hold their places until their silence is noticed)."""
    from nnviz.serving.admission import reset_admission

    reset_admission()
    yield


# A skipped test is a check that did not run: the suite fails rather than pass without it (`make test`, CI).
_SKIPPED = []


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _SKIPPED.append(f"{report.nodeid}: {report.longrepr[-1] if isinstance(report.longrepr, tuple) else ''}")


def pytest_sessionfinish(session, exitstatus):
    if _SKIPPED and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    if _SKIPPED:
        terminalreporter.section("skipped checks fail the run")
        for line in _SKIPPED:
            terminalreporter.write_line(line)
