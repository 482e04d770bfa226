"""The class board end to end in a real browser, on SQLite and on PostgreSQL: a teacher opens a room, two
students train and share, the board shows both within seconds without a reload (a nickname with markup as
text), and the board survives a restart of the server."""

import re
import time

import pytest
from browser_helpers import ARTIFACTS, free_port, no_exception, start_server, stop_server, wait_for_app

from cluster.postgres import TempPostgres

MARKUP = "<b>Bo</b><i>x</i>"
SETTINGS = "ds=xor&epochs=20&speed=max&batch=8&hidden=8&seed=1"
LOAD_MS = 120_000  # a whole page on a loaded 2-core CI machine (measured up to ~30 s with other suites running)
BOARD_SECONDS = 20  # the board polls every 2 s; "within seconds", with slack for a loaded CI machine


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'board.sqlite3'}"
    else:
        with TempPostgres() as pg:
            yield pg.url


def stop(proc):
    stop_server(proc)


def share(browser, url, code, nickname, lr):
    """A student: opens the join link with some settings, trains to the end, shares; returns when the page
    confirms the share (time.monotonic())."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    pg.set_default_timeout(LOAD_MS)
    try:
        pg.goto(f"{url}/shallow_network?room={code}&{SETTINGS}&lr={lr}")
        wait_for_app(pg, timeout=LOAD_MS)
        room = pg.get_by_label("Room", exact=True)
        room.wait_for(timeout=LOAD_MS)  # the panel is drawn last, under the controls
        assert room.input_value() == code  # the join link fills the room in
        pg.get_by_role("button", name="Train", exact=True).click()
        # a run ends in "Finished 20 epochs (…)"; one the page judges poor (lr 0.0001) goes on ", but — …"
        pg.get_by_text(re.compile(r"^Finished 20 epochs")).first.wait_for(timeout=LOAD_MS)
        nick = pg.get_by_label("Nickname", exact=True)
        nick.fill(nickname)
        nick.press("Enter")
        button = pg.get_by_role("button", name="Share with the class", exact=True)
        pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=LOAD_MS)
        button.click()
        pg.get_by_text(f"Shared with room {code}").wait_for(timeout=LOAD_MS)
        shared_at = time.monotonic()
        no_exception(pg)
    except Exception:
        pg.screenshot(path=str(ARTIFACTS / f"student-{lr}.png"), full_page=True)
        raise
    finally:
        ctx.close()
    return shared_at


def board_count(pg) -> int:
    heading = pg.locator("h3", has_text=re.compile(r"\d+ runs? shared"))
    if heading.count() == 0:
        return -1
    return int(heading.first.inner_text().split()[0])


def test_teacher_and_two_students_on_the_board(page, browser, database, monkeypatch):
    monkeypatch.setenv("NNVIZ_DATABASE_URL", database)  # the servers started below inherit it
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_server(port)
    page.set_default_timeout(LOAD_MS)
    try:
        page.goto(f"{url}/class_board")
        wait_for_app(page, timeout=LOAD_MS)
        page.get_by_role("button", name="Open a room", exact=True).click()
        page.wait_for_url(re.compile(r"room="), timeout=LOAD_MS)
        code = re.search(r"room=([A-Z0-9]+)", page.url).group(1)
        page.get_by_text(f"Room code: {code}").wait_for(timeout=LOAD_MS)
        page.locator("[data-testid='stImage'] img").first.wait_for(timeout=LOAD_MS)  # the QR code
        assert page.locator("[data-testid='stImage'] img").count() == 1
        page.get_by_text("Waiting for the first run").wait_for(timeout=LOAD_MS)
        board_url = page.url

        delays = []
        for n, (nickname, lr) in enumerate([("Ada", 0.0001), (MARKUP, 1)], start=1):
            shared_at = share(browser, url, code, nickname, lr)
            page.wait_for_function(
                "n => [...document.querySelectorAll('h3')].some(h => h.innerText.startsWith(n + ' run'))",
                arg=n, timeout=BOARD_SECONDS * 1000)
            delays.append(time.monotonic() - shared_at)
        assert page.url == board_url  # no reload: the same page updated itself
        print(f"share → board: {', '.join(f'{d:.1f} s' for d in delays)}")

        # The best run (lr 1 learns XOR; lr 0.0001 does not) is labelled on the chart — as text, not as HTML.
        label = page.locator(".js-plotly-plot text", has_text="<b>Bo</b>")
        label.first.wait_for(timeout=LOAD_MS)
        assert page.locator(".js-plotly-plot b, .js-plotly-plot i, [data-testid='stMain'] b:text-is('Bo')").count() == 0
        no_exception(page)

        # Restart the server on the same port and database: the board reconnects and still shows both runs.
        stop(proc)
        proc = start_server(port)
        page.wait_for_function("() => [...document.querySelectorAll('h3')].some(h => h.innerText.startsWith('2 runs'))",
                               timeout=LOAD_MS)
        page.reload()
        wait_for_app(page, timeout=LOAD_MS)
        page.wait_for_function("() => [...document.querySelectorAll('h3')].some(h => h.innerText.startsWith('2 runs'))",
                               timeout=LOAD_MS)
        assert board_count(page) == 2
        no_exception(page)
    finally:
        stop(proc)
