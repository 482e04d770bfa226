"""Real-browser tests: the app served by ``streamlit run`` on a free port, driven by Playwright
in Debian's Chromium (never a downloaded browser). A failing test saves a screenshot and an
event log in ``test-artifacts/``."""

import time
from pathlib import Path

import pytest
from browser_helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PATIENCE_MS, free_port, start_server, stop_server


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def app_url():
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    proc = start_server(port)
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


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
    context.set_default_timeout(PATIENCE_MS)  # goto, clicks, waits without a timeout of their own
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


@pytest.fixture
def screen(browser):
    """A page at 1280×720, a classroom projector's size, patient with a loaded machine."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    ctx.set_default_timeout(180_000)
    pg = ctx.new_page()
    yield pg
    ctx.close()
