"""Every page opens from the navigation in a real browser, without an exception shown."""

import re

import pytest
from browser_helpers import no_exception, wait_for_app

PAGES = [
    ("Overview", "nnviz — watch a neural network learn"),
    ("The neuron", "The neuron"),
    ("Activation functions", "Activation functions"),
    ("Shallow network", "Shallow network"),
    ("Backpropagation", "Backpropagation"),
    ("Data as numbers", "Data as numbers"),
    ("MNIST classifier", "MNIST classifier"),
]


@pytest.mark.parametrize("link, title", PAGES)
def test_page_opens_from_the_navigation(page, app_url, link, title):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=link, exact=True).click()
    page.get_by_role("heading", name=title, level=1).wait_for()
    wait_for_app(page)
    no_exception(page)
    assert page.locator("[data-testid='stAlertContentError']").count() == 0


def test_the_front_page_draws_its_networks_without_plotly(page, app_url):
    """The front page's two diagrams are SVG in the page (nnviz/viz/network_svg.py): drawn, the weights' values on
    their connections kept by the browser (``st.html`` would have removed the SVG), and no Plotly bundle
    fetched for them."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(app_url)
    wait_for_app(page)
    no_exception(page)
    drawings = page.locator("[data-testid='stMain'] svg[role='img']")
    drawings.nth(1).wait_for()
    assert drawings.count() == 2
    layers, xor = drawings.nth(0), drawings.nth(1)
    assert layers.locator("circle").count() == 3 + 5 + 5 + 2
    assert xor.locator("circle").count() == 2 + 4 + 1
    tips = xor.locator("line title").evaluate_all("titles => titles.map(t => t.textContent)")
    assert len(tips) == 12 and all(re.fullmatch(r"W[12]\[\d,\d\] = [+-]\d+\.\d{3}", t) for t in tips)
    for drawing in (layers, xor):
        box = drawing.bounding_box()
        assert box is not None and 200 < box["width"] <= 480 and box["height"] > 150
    fetched = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert not any("PlotlyChart" in name for name in fetched)


def test_presentation_mode_from_the_link_fits_a_projector(page, app_url):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/shallow_network?present=1&ds=moons")
    wait_for_app(page)
    no_exception(page)
    # the controls and the main chart are on screen without scrolling
    for name in ("Dataset", "Hidden units", "Learning rate", "Batch size", "Epochs"):
        # the controls' labels (the Look-inside control below the chart also reads "Hidden units": a CI run
        # found that one first, at y = 772)
        box = page.get_by_test_id("stWidgetLabel").get_by_text(name, exact=True).first.bounding_box()
        assert box is not None and box["y"] + box["height"] <= 720, name
    chart = page.locator(".st-key-tr_chart .vega-embed").first.bounding_box()
    assert chart is not None and chart["y"] + chart["height"] <= 720
    assert page.get_by_role("button", name="Train", exact=True).bounding_box()["y"] < 720


def test_a_drawn_stroke_is_recognised(page, app_url):
    page.goto(f"{app_url}/mnist_classifier")
    page.get_by_role("heading", name="MNIST classifier", level=1).wait_for(timeout=60_000)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=60_000)
    box = canvas.bounding_box()
    x, top = box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.15
    page.mouse.move(x, top)
    page.mouse.down()
    for i in range(1, 21):
        page.mouse.move(x, top + box["height"] * 0.7 * i / 20)
    page.mouse.up()
    prediction = page.get_by_role("heading", name=re.compile(r"^Prediction: \d$"))
    prediction.wait_for()
    assert prediction.inner_text() == "Prediction: 1"
    no_exception(page)


CLIPPED = """() => [...document.querySelectorAll('[data-testid="stMain"] :is(p, button, label, td, th, h1, h2, h3, h4)')]
  .filter(e => e.offsetParent !== null && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.innerText.slice(0, 60))
  .concat([...document.querySelectorAll('[data-testid="stMain"] .katex-display')]   // what KaTeX drew, in its element
  .filter(e => e.offsetParent !== null && (e.querySelector(':scope > .katex') || e).scrollWidth
               > e.closest('[data-testid="stElementContainer"]').clientWidth + 3)   // matrices overhang 2 px
  .map(e => 'formula: ' + e.textContent.slice(0, 60)))"""


@pytest.mark.parametrize("present", [False, True], ids=["normal", "presentation"])
@pytest.mark.parametrize("slug, reveal", [("neuron", None), ("backpropagation", "Show all"), ("data_as_numbers", None),
                                          ("activations", None), ("", None)])
def test_lesson_pages_cut_nothing_at_1280x720(page, app_url, slug, reveal, present):
    """At a projector's 1280×720 no text, button label, table cell or formula is cut or scrolls sideways
    (the neuron page's "NOT x1" preset and truth tables, Backpropagation's W₂ once were)."""
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/{slug}{'?present=1' if present else ''}")
    page.locator("[data-testid='stMain'] h1").wait_for(timeout=90_000)
    page.wait_for_function("() => document.querySelector('[data-testid=stApp]').dataset.testScriptState === 'notRunning'",
                           timeout=90_000)
    if reveal:
        page.get_by_role("button", name=reveal, exact=True).click()
        page.get_by_role("button", name="Apply the update").wait_for(timeout=90_000)
    page.wait_for_timeout(1500)
    no_exception(page)
    assert page.evaluate(CLIPPED) == []
