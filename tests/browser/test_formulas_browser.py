"""Formulas on a projector: at 1280×720, in normal and presentation mode, no rendered formula on any page scrolls
or overflows sideways, KaTeX renders every one, and each step of Backpropagation's derivation — its equation,
its live values and the Previous/Next buttons — is on one screen."""

import re

import pytest
from browser_helpers import no_exception, wait_for_app

VIEWPORT = {"width": 1280, "height": 720}

#: Every formula on the page: its own width against its box's, and against the screen.
FORMULAS_JS = """() => [...document.querySelectorAll('[data-testid="stMain"] .katex-display')].map(d => {
  // the formula as KaTeX set it, against the element Streamlit gave it (its column's width), and whether the
  // formula's own box clips or scrolls what does not fit
  // (KaTeX's own box may be narrower than what it draws: its content's width is its scrollWidth)
  const k = d.querySelector(':scope > .katex') || d;
  const inner = k.getBoundingClientRect();
  const box = d.closest('[data-testid="stElementContainer"]').getBoundingClientRect();
  const clips = ['auto', 'scroll', 'hidden'].includes(getComputedStyle(d).overflowX);
  return {text: d.textContent.slice(0, 80), scroll: d.scrollWidth, client: d.clientWidth, clips,
          left: inner.left, right: inner.left + Math.max(inner.width, k.scrollWidth), boxLeft: box.left,
          boxRight: box.right,
          error: !!d.querySelector('.katex-error')};
})"""


def overflowing(pg) -> list[str]:
    out = []
    width = pg.viewport_size["width"]
    for f in pg.evaluate(FORMULAS_JS):
        if f["error"]:
            out.append(f"KaTeX could not render: {f['text']}")
        elif f["clips"] and f["scroll"] > f["client"] + 1:
            out.append(f"scrolls sideways ({f['scroll']} > {f['client']} px): {f['text']}")
        elif f["right"] > min(f["boxRight"], width) + 1 or f["left"] < f["boxLeft"] - 1:
            out.append(f"overflows its box ({f['left']:.0f}–{f['right']:.0f} px, box {f['boxLeft']:.0f}–"
                       f"{f['boxRight']:.0f}): {f['text']}")
    return out


def segment(pg, name: str):
    return pg.locator("[data-testid='stButtonGroup'] button").filter(has_text=re.compile(f"^{re.escape(name)}$")).first


def settle(pg):
    pg.wait_for_timeout(300)
    wait_for_app(pg, 120_000)
    no_exception(pg)
    # KaTeX sets the formulas once its script has loaded: wait until no formula is waiting for it
    pg.wait_for_function("() => ![...document.querySelectorAll('[data-testid=\"stMarkdownContainer\"]')]"
                         ".some(m => m.querySelector('.katex-html') === null && m.textContent.includes('\\\\'))",
                         timeout=60_000)
    # and its fonts: measured in a fallback font (a loaded machine loads them late) a formula is wider than it is
    pg.wait_for_function("() => document.fonts.status === 'loaded'", timeout=60_000)
    # and the whole page: a loaded server draws it in several passes; measure once its formulas stop arriving
    count, seen = -1, pg.locator("[data-testid='stMain'] .katex-display").count()
    for _ in range(120):
        if seen == count:
            return
        count = seen
        pg.wait_for_timeout(1000)
        wait_for_app(pg, 120_000)
        seen = pg.locator("[data-testid='stMain'] .katex-display").count()
    raise AssertionError(f"formulas kept arriving for 120 s ({seen} now)")


#: Each page in each of its parts that shows formulas: (path, the segments to click in turn, or none).
PAGES = [
    ("", []), ("data_as_numbers", []), ("neuron", []), ("activations", []),
    ("backpropagation", ["1.3.1 · Node by node (1)", "1.3.2 · The loss (4)", "1.3.3–1.3.8 · The derivation (5)–(27)"]),
    ("shallow_network?ds=lesson&epochs=5&speed=max", ["Equations"]),
    ("shallow_network?ds=spiral&hidden=512&act=sigmoid&batch=0&epochs=5&speed=max", ["Equations"]),
    ("mnist_classifier", []), ("class_board", []),
]


@pytest.mark.parametrize("present", [False, True], ids=["normal", "presentation"])
def test_no_formula_scrolls_or_overflows_at_1280x720(browser, app_url, present):
    ctx = browser.new_context(viewport=VIEWPORT)
    pg = ctx.new_page()
    problems, formulas = [], 0
    try:
        for path, parts in PAGES:
            sep = "&" if "?" in path else "?"
            pg.goto(f"{app_url}/{path}{sep}present=1" if present else f"{app_url}/{path}")
            settle(pg)
            if "shallow_network" in path:
                pg.get_by_role("button", name="Reset", exact=True).wait_for()
            for part in parts or [None]:
                if part is not None:
                    before = pg.locator("[data-testid='stMain']").inner_text()
                    segment(pg, part).click()
                    # the part's own content before measuring it (a loaded server starts the rerun late)
                    pg.wait_for_function("t => document.querySelector('[data-testid=\"stMain\"]').innerText !== t",
                                         arg=before, timeout=120_000)
                    settle(pg)
                if part == "1.3.3–1.3.8 · The derivation (5)–(27)":
                    pg.get_by_role("button", name="Show all", exact=True).click()
                    settle(pg)
                found = pg.evaluate(FORMULAS_JS)
                formulas += len(found)
                problems += [f"/{path} {part or ''}: {p}" for p in overflowing(pg)]
    finally:
        ctx.close()
    assert formulas > 60, f"only {formulas} formulas found: the pages did not render"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("present", [False, True], ids=["normal", "presentation"])
def test_each_derivation_step_fits_one_screen(browser, app_url, present):
    """Next, 24 times: each time the step's equation, its live values and the buttons are all inside 1280×720 —
    a teacher never scrolls to see what Next revealed."""
    ctx = browser.new_context(viewport=VIEWPORT)
    pg = ctx.new_page()
    try:
        pg.goto(f"{app_url}/backpropagation" + ("?present=1" if present else ""))
        settle(pg)
        nxt = pg.get_by_role("button", name="Next", exact=True)
        for step in range(1, 26):
            label = pg.locator("[data-testid='stMarkdown']").filter(has_text=re.compile(r"^Step \d+ of 25")).first
            assert label.inner_text().startswith(f"Step {step} of 25")
            step_box = pg.locator(".st-key-bp_step").first
            parts = {"Previous": pg.get_by_role("button", name="Previous", exact=True), "Next": nxt,
                     "equation": step_box.locator(".st-key-bp_equation .katex-display").first}
            values = step_box.locator(".st-key-bp_values .katex-display")
            values.first.wait_for()
            for k in range(values.count()):
                parts[f"live value {k + 1}"] = values.nth(k)
            for name, locator in parts.items():
                box = locator.bounding_box()
                assert box is not None, f"step {step}: {name} is not shown"
                assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT["height"] + 1 \
                    and box["x"] + box["width"] <= VIEWPORT["width"] + 1, \
                    f"step {step} ({'presentation' if present else 'normal'}): {name} is off the screen: {box}"
            assert not overflowing(pg), (step, overflowing(pg))
            if step < 25:
                nxt.click()
                # the next step on screen before measuring it (a loaded server starts the rerun late)
                pg.locator("[data-testid='stMarkdown']").filter(
                    has_text=re.compile(rf"^Step {step + 1} of 25")).first.wait_for(timeout=120_000)
                settle(pg)
    finally:
        ctx.close()
