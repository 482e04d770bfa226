"""A teacher with the lesson in hand finds everything under the lesson's numbers: a real browser crawls every page
(every option of every segmented control, every expander opened, every step of a step-through revealed) and
checks that each equation number (1)–(27), each section number and each of the lesson's reference results is
shown — and that (7)–(27) are on the Backpropagation page.

What each page must show is the table ``EXPECTED`` below. Results that exist only once a run has been made
(the History experiment's two plots) are made the way a teacher makes them: the crawler presses the button
and waits for the run to finish (``RUNS``). The crawl has a server of its own whose workers do not step back
(``NNVIZ_WORKER_NICE=0``): the History experiment is real Keras, and on a machine busy with other programs a
nice-19 worker gets ~1.5 % of a core — its five epochs would take most of an hour instead of a minute or two.
"""

from __future__ import annotations

import time

import pytest
from browser_helpers import PATIENCE_MS, free_port, no_exception, start_server, stop_server, wait_for_app

from nnviz.lesson.sections import PAGES, SECTIONS, sections_of

# (page slug, kind, item): kind "eq" is a lesson equation number shown as a KaTeX tag "(n)"; "text" is text on
# the page; "plot" is a chart's title, axis title, legend or annotation.
EXPECTED: list[tuple[str, str, object]] = [
    *[("backpropagation", "eq", n) for n in [1, *range(4, 28)]],  # (1) node by node, (4) the loss, (5)–(27)
    ("activations", "eq", 2), ("activations", "eq", 3),
    *[("shallow_network", "eq", n) for n in (4, 5, 6, 7, 22, 23, 24, 25, 26, 27)],  # its "Equations" view
    ("overview", "text", "Deep Learning with Python"), ("overview", "text", "Chollet"),
    ("data_as_numbers", "text", "[5 rows x 785 columns]"), ("data_as_numbers", "text", "28x28"),
    ("data_as_numbers", "text", "7178"),
    ("neuron", "plot", "threshold θ"),
    ("shallow_network", "text", "93.6"),  # the lesson's 20-feature run
    ("mnist_classifier", "text", "407,050"), ("mnist_classifier", "text", "97.8"),  # summary(), test accuracy
    ("mnist_classifier", "text", "98.9"),  # the lesson's training accuracy after 10 epochs
    ("mnist_classifier", "plot", "model accuracy"), ("mnist_classifier", "plot", "model loss"),  # History plots
]


_COLLECT = """() => {
  const main = document.querySelector('[data-testid="stMain"]') || document.body;
  const tags = [...main.querySelectorAll('.katex-display .tag')].map(e => e.textContent.trim());
  const plot = [...main.querySelectorAll('.js-plotly-plot .gtitle, .js-plotly-plot .annotation-text, '
    + '.js-plotly-plot .legendtext, .js-plotly-plot .g-xtitle, .js-plotly-plot .g-ytitle, '
    + '.vega-embed svg [class*="role-title"] text, .vega-embed svg .role-legend-label text, '
    + '.vega-embed svg .role-axis-title text')].map(e => e.textContent);
  return {text: main.innerText, tags: tags, plot: plot};
}"""


_SIZE = """() => { const m = document.querySelector('[data-testid="stMain"]');
  return m ? [m.innerText.length, m.querySelectorAll('.katex, .js-plotly-plot .main-svg, .vega-embed .marks').length,
              m.querySelectorAll('[data-testid="stSkeleton"]').length
              + (document.querySelector('[data-testid="stApp"]').dataset.testScriptState === 'notRunning' ? 0 : 1)]
           : null; }"""


def _settle(pg, timeout: float = 90.0):
    """Wait until the app has run the script (``stApp``'s script state "notRunning") and the page has stopped
    changing (the same amount of text, formulas and charts for 3 s), with a title shown."""
    time.sleep(0.4)  # let a click reach the server before waiting for the run it starts to end
    wait_for_app(pg, timeout=timeout * 1000)
    pg.wait_for_selector("[data-testid='stMain'] h1", timeout=timeout * 1000)
    deadline, last, stable = time.monotonic() + timeout, None, 0
    while time.monotonic() < deadline:
        size = pg.evaluate(_SIZE)
        stable = stable + 1 if size is not None and size == last and size[2] == 0 else 0
        if stable >= 3:  # unchanged, and not running, for 3 s
            return
        last = size
        time.sleep(1.0)
    raise AssertionError(f"the page kept changing for {timeout:.0f} s")


def _reveal(pg):
    """Open every closed expander and reveal every step of a step-through."""
    for _ in range(3):
        buttons = pg.get_by_role("button", name="Show all", exact=True)
        if buttons.count() and buttons.first.is_enabled():
            buttons.first.click()
            _settle(pg)
        closed = pg.locator("[data-testid='stMain'] [data-testid='stExpander'] details:not([open]) > summary >> visible=true")
        if not closed.count():
            break
        for _ in range(closed.count()):
            closed.first.click()
        _settle(pg)


# Steps a teacher takes to see a result that only exists once run: (button, what to wait for in a chart).
RUNS = [("Run the lesson's History experiment", "model accuracy")]


def _run_experiments(pg, timeout_ms: float = 900_000):
    """Press a button that runs one of the lesson's experiments and wait for its result (the History
    experiment trains 5 epochs of Keras in the training process: a minute or two)."""
    for name, result in RUNS:
        button = pg.get_by_role("button", name=name, exact=True)
        if button.count() and button.first.is_visible() and button.first.is_enabled():
            button.first.click()
            pg.wait_for_function(
                "t => [...document.querySelectorAll('.js-plotly-plot .annotation-text, .js-plotly-plot .gtitle')]"
                ".some(e => e.textContent.includes(t))", arg=result, timeout=timeout_ms, polling=1000)
            _settle(pg)


def _collect(pg, seen: dict):
    found = pg.evaluate(_COLLECT)
    seen["text"] += "\n" + found["text"]
    seen["plot"] += "\n" + "\n".join(found["plot"])
    seen["eq"] |= {int(t.strip("()")) for t in found["tags"] if t.strip("()").isdigit()}


def crawl_page(pg, url: str) -> dict:
    """Everything a page shows, over all the options of its segmented controls."""
    seen = {"text": "", "plot": "", "eq": set()}
    pg.goto(url)
    _settle(pg)
    no_exception(pg)
    _reveal(pg)
    _collect(pg, seen)
    groups = pg.locator("[data-testid='stMain'] [data-testid='stButtonGroup']")
    for g in range(groups.count()):
        options = groups.nth(g).locator("button")  # each option: a <button role="radio">
        for i in range(options.count()):
            groups.nth(g).locator("button").nth(i).click()
            _settle(pg)
            no_exception(pg)
            _reveal(pg)
            _run_experiments(pg)
            _collect(pg, seen)
    return seen


@pytest.fixture(scope="module")
def crawl_url():
    port = free_port()
    proc = start_server(port, env={"NNVIZ_WORKER_NICE": "0"})
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


@pytest.fixture(scope="module")
def crawled(browser, crawl_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(PATIENCE_MS)  # a click on a loaded machine may wait longer than Playwright's 30 s
    pg = context.new_page()
    try:
        return {p.slug: crawl_page(pg, f"{crawl_url}/{'' if i == 0 else p.slug}") for i, p in enumerate(PAGES)}
    finally:
        context.close()


def _case(item):
    return pytest.param(*item, id="-".join(map(str, item)))


@pytest.mark.parametrize("slug, kind, item", [_case(e) for e in EXPECTED])
def test_the_page_shows_the_lessons_item(crawled, slug, kind, item):
    seen = crawled[slug]
    assert (item in seen["eq"]) if kind == "eq" else (str(item) in seen[kind]), (slug, kind, item)


def test_every_equation_1_to_27_is_shown_and_7_to_27_on_backpropagation(crawled):
    shown = set().union(*(seen["eq"] for seen in crawled.values()))
    assert set(range(1, 28)) <= shown, sorted(set(range(1, 28)) - shown)
    assert set(range(7, 28)) <= crawled["backpropagation"]["eq"]


def test_every_section_is_shown_under_its_number(crawled):
    overview = crawled["overview"]["text"]
    for sec in SECTIONS:
        assert f"{sec.number} {sec.title}" in overview, sec.number
    for p in PAGES:
        for sec in sections_of(p.slug):
            assert sec.number in crawled[p.slug]["text"], (p.slug, sec.number)
