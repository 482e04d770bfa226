"""The Shallow network page in a real browser, as a class sees it: everything that matters on one projector
screen in every run state, nothing clipped, failures named while they happen, Pause that holds, no flashing,
a phone that shows Train, the numbers and the chart at once, exports that describe the run on screen, and
a server restart that is said plainly."""

import json
import re
import time
import urllib.parse

import numpy as np
import pytest
from browser_helpers import free_port, no_exception, start_server, stop_server, wait_for_app
from playwright.sync_api import expect
from test_trainer_browser import epoch_shown, eventually

MID = '[data-testid="stColumn"]:has(.st-key-tr_buttons)'
STATE = re.compile(r"^step [\d,]+ · (ready|training…|paused|finished|diverged)$")


def open_trainer(pg, url):
    pg.goto(url)
    wait_for_app(pg, 180_000)
    pg.get_by_role("button", name="Reset", exact=True).wait_for(timeout=180_000)
    pg.locator(".st-key-tr_chart [data-testid='stVegaLiteChart']").first.wait_for(timeout=180_000)
    # the page's own style sheet is in effect (it lays the trainer out: on a phone, Train above the settings); it
    # arrives as an element of the run, and a loaded machine can measure the layout before the browser applied it
    pg.wait_for_function("() => { const s = document.querySelector('.st-key-tr_status');"
                         " return s && getComputedStyle(s).minHeight !== '0px'; }", timeout=180_000)
    no_exception(pg)


def state_shown(pg) -> str:
    text = pg.locator(".st-key-tr_readouts").get_by_text(STATE).first.inner_text()
    return STATE.match(text).group(1)


def button(pg, name):
    return pg.get_by_role("button", name=name, exact=True)


def assert_on_screen(pg, parts: dict, state: str):
    size = pg.viewport_size
    for name, locator in parts.items():
        box = locator.bounding_box()
        assert box is not None, f"{name} is not shown ({state})"
        inside = (box["x"] >= -1 and box["y"] >= -1 and box["x"] + box["width"] <= size["width"] + 1
                  and box["y"] + box["height"] <= size["height"] + 1)
        assert inside, f"{name} is outside the {size['width']}×{size['height']} screen when {state}: {box}"


def choose_until_chosen(pg, option: str, tries: int = 3):
    """Click a radio option until the page shows it chosen: on a loaded machine a click that lands while its
    expander opens can be lost (then the run would go on at the old speed, 2 epochs/s, for minutes)."""
    radio = pg.get_by_role("radio", name=option, exact=True)
    for _ in range(tries):
        pg.get_by_text(option, exact=True).click()
        try:
            expect(radio).to_be_checked(timeout=5000)  # the locator is found again: a redrawn radio counts too
            return
        except AssertionError:
            pass
    raise AssertionError(f"{option!r} is not chosen after {tries} clicks")


def projector_parts(pg):
    return {
        "Train": button(pg, "Train"), "Pause": button(pg, "Pause"), "Step": button(pg, "Step"),
        "Reset": button(pg, "Reset"), "Dataset": pg.get_by_role("combobox", name="Dataset"),
        "Hidden units": pg.get_by_role("slider", name="Hidden units"),
        "Learning rate": pg.get_by_role("slider", name="Learning rate"),
        "Batch size": pg.get_by_role("slider", name="Batch size"),
        "epoch": pg.locator(".st-key-tr_readouts h3").first, "readouts": pg.locator(".st-key-tr_readouts").first,
        "status": pg.locator(".st-key-tr_status").first,
        "loss chart": pg.locator(".st-key-tr_chart").first,
        # the live views are boxes that hold their size while Streamlit swaps in each new figure (the frame
        # probe below checks that a drawn plot is in them); the boundary must be a drawn figure when still
        "boundary": pg.locator(f"{MID} + [data-testid='stColumn'] .st-key-tr_beside").first,
    }


MIN_OPACITY_JS = """([selector, ms]) => new Promise(resolve => {
  // The chart's effective opacity (its own and its ancestors'), sampled on a timer and, whenever Streamlit
  // marks an element stale, again while it stays stale (its fade starts after a short delay).
  let lowest = 1, samples = 0, staleSeen = 0;
  const note = el => {
    const value = parseFloat(getComputedStyle(el).opacity);
    if (el.isConnected && !isNaN(value)) lowest = Math.min(lowest, value);
  };
  const sample = () => {
    for (let el = document.querySelector(selector); el; el = el.parentElement) note(el);
    samples += 1;
  };
  const timer = setInterval(sample, 25);
  const observer = new MutationObserver(changes => {
    for (const c of changes) {
      if (c.target.getAttribute('data-stale') === 'true') {
        staleSeen += 1;
        for (const delay of [300, 700, 1200]) setTimeout(() => {
          if (c.target.isConnected && c.target.getAttribute('data-stale') === 'true') {
            note(c.target); samples += 1;
          }
        }, delay);
      }
    }
  });
  observer.observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-stale']});
  setTimeout(() => { clearInterval(timer); observer.disconnect(); resolve([lowest, samples, staleSeen]); }, ms);
})"""


CHART_FRAMES_JS = """([ms, selector]) => new Promise(resolve => {
  // Every animation frame for ``ms``: a chart's box (by default the loss chart's; its height and top) and
  // whether a drawn plot is in it (Vega-Lite: an SVG or, for the boundary's thousands of cells, a canvas).
  // The charts are updated in place: drawn in every frame, their boxes still.
  let frames = 0, drawn = 0, minHeight = 1e9, minTop = 1e9, maxTop = -1e9;
  const t0 = performance.now();
  const tick = () => {
    const box = document.querySelector(selector || '.st-key-tr_chart');
    frames += 1;
    if (box) {
      const r = box.getBoundingClientRect();
      minHeight = Math.min(minHeight, r.height); minTop = Math.min(minTop, r.top); maxTop = Math.max(maxTop, r.top);
      const plots = [...box.querySelectorAll('[data-testid="stPlotlyChart"], [data-testid="stVegaLiteChart"]')].filter(c =>
        c.getBoundingClientRect().height > 100 && c.querySelector('.main-svg, .marks') &&
        getComputedStyle(c).display !== 'none' && getComputedStyle(c).visibility !== 'hidden');
      if (plots.length) drawn += 1;
    } else { minHeight = 0; }
    if (performance.now() - t0 < ms) requestAnimationFrame(tick);
    else resolve({frames, drawn, minHeight, topMoved: maxTop - minTop});
  };
  requestAnimationFrame(tick);
})"""


PUSHED_MARGINS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(gd => {
  // A live figure whose labels, legend or colour bar push its margins is drawn twice per update (Plotly draws,
  // measures, then draws again with the wider margins): nnviz.viz.charts starts them with the room they need.
  const size = gd._fullLayout._size, margin = gd.layout.margin || {};
  return ['l', 'r', 't', 'b'].filter(k => size[k] > (margin[k] ?? 0) + 0.5)
    .map(k => `${gd.closest('[class*="st-key-"]')?.className.match(/st-key-\\S+/)?.[0] || 'chart'}: ${k} ${margin[k]} → ${size[k].toFixed(1)}`);
})"""


def assert_live_charts_draw_once(pg):
    pushed = pg.evaluate(PUSHED_MARGINS_JS)
    assert not pushed, f"a live chart's margins were pushed, so it is drawn twice per update: {pushed}"


def test_presentation_mode_fits_a_projector_in_every_state(browser, app_url):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = ctx.new_page()
    try:
        # XOR, batch 1, learning rate 10: the lesson's failure case, which must never read as a success
        open_trainer(pg, f"{app_url}/shallow_network?present=1&ds=xor&lr=10&batch=1&epochs=500&speed=2")
        assert state_shown(pg) == "ready"
        assert_on_screen(pg, projector_parts(pg), "ready")
        button(pg, "Train").click()
        eventually(pg, lambda: epoch_shown(pg) >= 3 and state_shown(pg) == "training…", "it plays", 120)
        lowest, samples, stale = pg.evaluate(MIN_OPACITY_JS, [".st-key-tr_chart [data-testid='stVegaLiteChart']", 4000])
        print(f"\nopacity while playing: lowest {lowest} in {samples} samples, {stale} stale marks seen")
        assert samples >= 3 and lowest > 0.99, f"the chart faded to opacity {lowest} while playing"
        frames = pg.evaluate(CHART_FRAMES_JS, [4000])
        print(f"chart while playing: {frames}")
        assert frames["frames"] >= 5 and frames["minHeight"] >= 299 and frames["topMoved"] <= 1, frames
        assert frames["drawn"] == frames["frames"], f"the loss chart was blank in some frames: {frames}"

        beside = pg.evaluate(CHART_FRAMES_JS, [4000, ".st-key-tr_beside"])
        print(f"boundary beside it while playing: {beside}")
        assert beside["frames"] >= 5 and beside["minHeight"] >= 379 and beside["topMoved"] <= 1, beside
        assert beside["drawn"] == beside["frames"], f"the boundary was blank in some frames: {beside}"
        assert_live_charts_draw_once(pg)
        eventually(pg, lambda: "Overshooting" in pg.locator(".st-key-tr_status").inner_text()
                   and state_shown(pg) == "training…", "named while it plays")
        assert_on_screen(pg, projector_parts(pg), "playing")
        button(pg, "Pause").click()
        eventually(pg, lambda: state_shown(pg) == "paused", "Pause shows")
        assert_on_screen(pg, projector_parts(pg), "paused")
        assert_on_screen(pg, {"boundary plot": pg.locator(".st-key-tr_beside .marks").first}, "paused")
        pg.get_by_text("More settings").click()  # the speed is a display choice: the run stays
        choose_until_chosen(pg, "as fast as possible")
        pg.get_by_text("More settings").click()
        eventually(pg, lambda: state_shown(pg) == "paused", "still the same run")
        button(pg, "Train").click()
        eventually(pg, lambda: state_shown(pg) == "finished", "the run finishes", 300)
        status = pg.locator(".st-key-tr_status").inner_text()
        assert "Overshooting" in status and re.search(r"^Finished \d+ epochs, but — ", status, re.M)  # short on a projector
        assert pg.locator("[data-testid='stAlertContentSuccess']").count() == 0  # never green
        assert_on_screen(pg, projector_parts(pg), "finished")
        assert_on_screen(pg, {"boundary plot": pg.locator(".st-key-tr_beside .marks").first}, "finished")
        pg.get_by_role("slider", name="Hidden units").press("ArrowRight")  # a setting changes: a fresh run
        eventually(pg, lambda: "New settings, new run" in pg.locator(".st-key-tr_status").inner_text(),
                   "the new run is announced")
        assert epoch_shown(pg) == 0 and button(pg, "Train").is_enabled()
        assert_on_screen(pg, projector_parts(pg), "settings changed")
        # learning rate 10 with ReLU on the lesson's data blows up
        open_trainer(pg, f"{app_url}/shallow_network?present=1&ds=lesson&lr=10&act=relu&speed=max")
        button(pg, "Train").click()
        eventually(pg, lambda: state_shown(pg) == "diverged", "it diverges", 120)
        assert "Diverged" in pg.locator(".st-key-tr_status").inner_text()
        assert_on_screen(pg, projector_parts(pg), "diverged")
        pg.screenshot(path="test-artifacts/presentation-diverged.png")
    finally:
        ctx.close()


CLIPPED_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]');
  const out = [];
  for (const el of main.querySelectorAll('*')) {
    if (el.closest('.js-plotly-plot, .vega-embed, [data-testid="stSidebar"]') || el.offsetParent === null) continue;
    const text = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const cs = getComputedStyle(el);
    const scrolls = ['auto', 'scroll'].includes(cs.overflowX);
    if ((text || scrolls) && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      out.push(`${el.tagName}.${el.className}: "${el.textContent.trim().slice(0, 60)}" ` +
               `${el.scrollWidth} > ${el.clientWidth}`);
    }
  }
  // Vega-Lite (the live charts) cuts a label that does not fit its limit with an ellipsis
  for (const t of main.querySelectorAll('.vega-embed svg text')) {
    if (t.textContent.endsWith('…')) out.push(`chart text cut: "${t.textContent}"`);
  }
  if (document.documentElement.scrollWidth > document.documentElement.clientWidth + 1) out.push('the page');
  return out;
}"""


def view_option(pg, name: str):
    """An option of the "Look inside" segmented control (a button of a button group, not role=button)."""
    return pg.locator("[data-testid='stButtonGroup'] button").filter(
        has_text=re.compile(f"^{re.escape(name)}$")).first


def test_nothing_is_clipped_or_scrolls_sideways_at_1280x720(browser, app_url):
    ctx = browser.new_context(viewport={"width": 1280, "height": 720})
    pg = ctx.new_page()
    try:
        for query, views in (("ds=lesson&epochs=20&speed=max",
                              ["Test set in 2-D", "Lesson 1.3.4–1.3.9", "Equations", "Gradient check", "Export & share"]),
                             ("ds=xor&lr=10&batch=1&epochs=5&speed=max",
                              ["Decision boundary", "Hidden units", "Export & share"])):
            open_trainer(pg, f"{app_url}/shallow_network?{query}")
            button(pg, "Train").click()
            eventually(pg, lambda: state_shown(pg) == "finished", "the run finishes", 180)
            for view in views:
                view_option(pg, view).click()
                pg.wait_for_timeout(500)
                wait_for_app(pg, 60_000)
                clipped = pg.evaluate(CLIPPED_JS)
                assert not clipped, f"{query}, {view}: {clipped}"
    finally:
        ctx.close()


#: The epoch on screen and a click on Pause in one task of the page: nothing can be drawn in between.
SHOWN_AND_PAUSE_JS = """() => {
  const shown = document.querySelector('.st-key-tr_readouts h3').textContent;
  document.querySelector('.st-key-tr_pause button').click();
  return shown;
}"""


@pytest.mark.parametrize("speed", ["50", "max"])
def test_pause_holds_where_the_class_saw_it(page, app_url, speed):
    """Pause holds the epoch that was on screen at the click (not where the run had got to when the click was
    heard), nothing moves after, and Step adds exactly one epoch."""
    open_trainer(page, f"{app_url}/shallow_network?ds=lesson&epochs=5000&speed={speed}")
    button(page, "Train").click()
    eventually(page, lambda: epoch_shown(page) >= 3, "it plays", 120)
    assert_live_charts_draw_once(page)  # the loss chart and the lesson data's projection
    page.wait_for_timeout(1000)
    t0 = time.monotonic()
    shown = int(re.search(r"Epoch (\d+)", page.evaluate(SHOWN_AND_PAUSE_JS)).group(1))
    eventually(page, lambda: state_shown(page) == "paused", "Pause shows")
    shown_after = time.monotonic() - t0
    # The page has drawn the paused run when its script stops running (until then, the elements of the run
    # before may still stand beside the new ones: CI once read a stale epoch beside "paused").
    wait_for_app(page, 60_000)
    held = epoch_shown(page)
    assert state_shown(page) == "paused"
    assert abs(held - shown) <= 1, f"the screen showed epoch {shown} at the click; the run holds at {held}"
    page.wait_for_timeout(1500)
    assert (epoch_shown(page), state_shown(page)) == (held, "paused")  # nothing arrives after the pause
    button(page, "Step").click()
    eventually(page, lambda: epoch_shown(page) != held, "Step trains one epoch")
    assert epoch_shown(page) == held + 1  # so the epoch shown was exactly where the run had stopped
    print(f"\nPause at {speed}: epoch {shown} on screen, {held} held; 'paused' shown {shown_after:.2f} s after the click")


def test_phone_shows_train_readouts_and_chart_on_one_screen(browser, app_url):
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    pg = ctx.new_page()
    try:
        open_trainer(pg, f"{app_url}/shallow_network?ds=moons&epochs=50&speed=10")
        # on a phone the accuracy chart stacks below the loss chart (a scroll away; its number is in the readouts)
        parts = {"Train": button(pg, "Train"), "readouts": pg.locator(".st-key-tr_readouts").first,
                 "loss chart": pg.locator(".st-key-tr_chart [data-testid='stVegaLiteChart']").first}
        assert_on_screen(pg, parts, "ready")
        button(pg, "Train").tap()
        eventually(pg, lambda: epoch_shown(pg) >= 5, "it plays", 120)
        assert pg.evaluate("window.scrollY") == 0
        assert_on_screen(pg, parts, "playing")
        pg.screenshot(path="test-artifacts/phone-playing.png")
    finally:
        ctx.close()


def test_export_and_link_describe_the_run_on_screen(page, app_url, tmp_path):
    open_trainer(page, f"{app_url}/shallow_network?ds=moons&batch=16&epochs=10&speed=max&seed=3")
    button(page, "Train").click()
    eventually(page, lambda: state_shown(page) == "finished", "the run finishes", 180)
    test_acc = page.locator("[data-testid='stMetric']").filter(has_text="Test accuracy").locator(
        "[data-testid='stMetricValue']").inner_text()
    view_option(page, "Export & share").click()
    link = page.locator("[data-testid='stCode']").filter(has_text="shallow_network?").inner_text(timeout=60_000)
    query = dict(urllib.parse.parse_qsl(link.replace("\n", "").split("?", 1)[1]))
    assert (query["ds"], query["batch"], query["epochs"], query["seed"]) == ("moons", "16", "10", "3")
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="Weights and data (.npz)").click()
    path = tmp_path / "run.npz"
    download.value.save_as(path)
    with np.load(path, allow_pickle=False) as run:
        assert json.loads(str(run["settings"])) == query  # the file and the link describe the same run
        assert f"{json.loads(str(run['metrics']))['test accuracy'] * 100:.1f} %" == test_acc
    # the settings change: a new run takes the screen, and the export and link follow it, never a mix
    page.get_by_role("slider", name="Batch size").press("ArrowRight")
    eventually(page, lambda: "batch=32" in page.locator("[data-testid='stCode']").filter(
        has_text="shallow_network?").inner_text(), "the link follows the run on screen")
    this_run = page.locator("p").filter(has=page.get_by_text("This run", exact=True)).first.inner_text()
    assert epoch_shown(page) == 0 and "not trained yet" in this_run


def test_a_server_restart_is_said_plainly_and_the_run_can_start_again(browser):
    port = free_port()
    proc = start_server(port)
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = ctx.new_page()
    try:
        open_trainer(pg, f"http://127.0.0.1:{port}/shallow_network?ds=moons&epochs=5000&speed=10&hidden=8")
        button(pg, "Train").click()
        eventually(pg, lambda: epoch_shown(pg) >= 2, "it plays", 120)
        assert "run=" in pg.url
        # as a service manager restarts it: SIGTERM, then SIGKILL after 30 s (on a machine busy with other programs
        # the server's exit can wait minutes for its nice-19 workers to finish starting)
        stop_server(proc, timeout=30)
        proc = start_server(port)
        eventually(pg, lambda: pg.get_by_text("The server restarted").count() > 0, "the restart is said", 240)
        assert epoch_shown(pg) == 0
        assert pg.get_by_role("slider", name="Hidden units").get_attribute("aria-valuetext") == "8"
        t0 = time.monotonic()
        button(pg, "Train").click()
        eventually(pg, lambda: epoch_shown(pg) >= 1, "it trains again", 120)
        print(f"\nfirst epoch shown {time.monotonic() - t0:.2f} s after Train on a fresh server")
        no_exception(pg)
    finally:
        ctx.close()
        stop_server(proc, timeout=30)
