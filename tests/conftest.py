"""Shared fixtures: a page under AppTest, with training run inline (no worker processes)."""

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("NNVIZ_WORKERS", "0")  # page tests train in the test's own thread: deterministic
os.environ["NNVIZ_VALIDATE_FIGURES"] = "1"  # every figure a test builds goes through Plotly's validation


@pytest.fixture
def open_page():
    """``open_page("shallow_network", ds="xor")`` → an AppTest of that page after its first run."""
    from streamlit.testing.v1 import AppTest

    import nnviz.runner as runner

    if runner._EXECUTOR is None or runner._EXECUTOR.workers:
        runner._EXECUTOR = runner.InlineExecutor()

    def _open(page: str, **query):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        for k, v in query.items():
            at.query_params[k] = str(v)
        at.switch_page(f"app_pages/{page}.py")
        at.run()
        assert not at.exception, at.exception
        return at

    return _open


# --- the Shallow network page, seen by a test


def epoch(at) -> int:
    """The N of the page's "Epoch N / M" heading."""
    line = next(m.value for m in at.markdown if m.value.startswith("### Epoch"))
    return int(line.split()[2])


def press(at, name: str, runs: int = 1):
    """Click the trainer's button ``name`` (train, pause, step, reset), then run the page ``runs`` times."""
    at.button(key=f"tr_{name}").click()
    for _ in range(runs):
        at.run()
        assert not at.exception, at.exception
    return at


def errors(at) -> str:
    """The page's error messages as a reader sees them (user text is shown Markdown-escaped)."""
    return " ".join(e.value for e in at.error).replace("\\", "")
