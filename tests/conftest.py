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
