"""Real-browser tests: the app served by ``streamlit run`` on a free port, driven by Playwright
in Debian's Chromium (never a downloaded browser). A failing test saves a screenshot in
``test-artifacts/``."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("NNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, extra_env: dict | None = None) -> subprocess.Popen:
    env = {**os.environ, **(extra_env or {})}
    env.pop("NNVIZ_WORKERS", None) if not extra_env or "NNVIZ_WORKERS" not in extra_env else None
    log = open(ARTIFACTS / f"server-{port}.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"the app did not start; see {log.name}")


@pytest.fixture(scope="session")
def app_url():
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    events = []
    t0 = time.monotonic()

    def note(*what):
        events.append(f"{time.monotonic() - t0:7.2f} s  " + " ".join(str(w) for w in what))

    pg.on("pageerror", lambda e: note("page error:", e))
    pg.on("console", lambda m: note("console", m.type, m.text[:300]) if m.type in ("error", "warning") else None)
    pg.on("websocket", lambda ws: (note("websocket open", ws.url),
                                   ws.on("close", lambda _: note("websocket closed")),
                                   ws.on("socketerror", lambda e: note("websocket error", e))))
    pg.on("framenavigated", lambda f: note("navigated", f.url) if f == pg.main_frame else None)
    yield pg
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        (ARTIFACTS / f"{request.node.name}.events.txt").write_text("\n".join(events) + "\n")
    context.close()


def wait_for_app(pg, timeout=30_000):
    """Wait until Streamlit has finished running the script (no 'running' indicator)."""
    pg.wait_for_selector("[data-testid='stApp']", timeout=timeout)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=timeout,
    )


def no_exception(pg):
    assert pg.locator("[data-testid='stException']").count() == 0, pg.locator(
        "[data-testid='stException']").first.inner_text()
