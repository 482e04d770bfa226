"""What the browser tests and the benchmarks in bench/ share: starting the app, Chromium's settings, waits."""

import os
import subprocess
import sys
from pathlib import Path

from tools.local import CHROMIUM, CHROMIUM_ARGS, free_port, wait_healthy  # noqa: F401 - the tests import them from here

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
#: How long a wait may take before it counts as a failure: a loaded 2-core machine may be slow, never wrong.
#: Waits return as soon as their condition holds, so a fast machine never pays for it.
PATIENCE_MS = 120_000


def start_server(port: int, env: dict | None = None) -> subprocess.Popen:
    """``streamlit run app.py`` on 127.0.0.1:``port`` with its training workers (the page tests' inline
    mode, NNVIZ_WORKERS=0, is not passed on), and ``env`` added to its environment; returns once
    ``/_stcore/health`` answers."""
    env = {**{k: v for k, v in os.environ.items() if k != "NNVIZ_WORKERS"}, **(env or {})}
    ARTIFACTS.mkdir(exist_ok=True)
    log = open(ARTIFACTS / f"server-{port}.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}/_stcore/health", PATIENCE_MS / 1000, proc)
    except RuntimeError as err:
        proc.kill()
        raise RuntimeError(f"the app did not start ({err}); see {log.name}") from None
    return proc


def stop_server(proc: subprocess.Popen, timeout: float = 10.0):
    """Stop a server that ``start_server`` started: politely, then for good."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()


def wait_for_app(pg, timeout=PATIENCE_MS):
    """Wait until Streamlit has finished running the script (no 'running' indicator)."""
    pg.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout,
    )


def no_exception(pg):
    assert pg.locator("[data-testid='stException']").count() == 0, pg.locator(
        "[data-testid='stException']").first.inner_text()
