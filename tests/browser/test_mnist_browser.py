"""The MNIST page in a real browser, against a server of its own: the canvas fits its box and its right
edge reaches the model; on a phone the prediction shows where the finger is; and after every page and
every MNIST section was visited, a digit predicted and a Keras training finished, the server process has
not imported TensorFlow or Keras (read from the server itself: sorted(sys.modules) on SIGUSR1)."""

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from browser_helpers import (
    ARTIFACTS,
    PATIENCE_MS,
    ROOT,
    free_port,
    no_exception,
    stop_server,
    wait_for_app,
    wait_healthy,
)

RECORDER = Path(__file__).with_name("serve_recording_modules.py")
PAGES = ["", "data_as_numbers", "neuron", "activations", "shallow_network", "backpropagation", "mnist_classifier"]
SECTIONS = ["The network", "Train your own", "History experiment", "Evaluate", "NumPy twin", "Draw a digit"]
PREDICTION = re.compile(r"^Prediction: \d$")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``streamlit run app.py`` under the module recorder; yields (url, process, modules file)."""
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    out = tmp_path_factory.mktemp("modules") / "modules.txt"
    # workers at nice 0: the Keras training below would hardly start beside other busy programs at nice 19
    env = {k: v for k, v in os.environ.items() if k != "NNVIZ_WORKERS"} | {"NNVIZ_MODULES_OUT": str(out),
                                                                           "NNVIZ_WORKER_NICE": "0"}
    log = open(ARTIFACTS / f"server-mnist-{port}.log", "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, str(RECORDER), str(ROOT / "app.py"), "--server.headless", "true",
                             "--server.address", "127.0.0.1", "--server.port", str(port)],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(url + "/_stcore/health", PATIENCE_MS / 1000, proc)
    yield url, proc, out
    stop_server(proc, timeout=15)
    log.close()


def server_modules(proc, out: Path) -> set[str]:
    out.unlink(missing_ok=True)
    proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 30
    while not out.exists():
        assert time.monotonic() < deadline, "the server did not write its modules"
        time.sleep(0.1)
    return set(out.read_text().split())


def open_mnist(pg, url, query=""):
    pg.goto(f"{url}/mnist_classifier{query}")
    pg.get_by_role("heading", name="MNIST classifier", level=1).wait_for(timeout=120_000)
    canvas = pg.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=120_000)
    wait_for_app(pg, timeout=120_000)
    return canvas


def stroke(pg, box, x_fraction, steps=20):
    """A vertical stroke at ``x_fraction`` of the canvas's width, from 15 % to 85 % of its height."""
    x = box["x"] + box["width"] * x_fraction
    top = box["y"] + box["height"] * 0.15
    pg.mouse.move(x, top)
    pg.mouse.down()
    for i in range(1, steps + 1):
        pg.mouse.move(x, top + box["height"] * 0.7 * i / steps)
    pg.mouse.up()


def column_of(locator) -> dict:
    """The bounding box of the Streamlit column around an element (crossing shadow roots)."""
    return locator.evaluate("""el => {
        let p = el;
        while (p && !(p.getAttribute && p.getAttribute('data-testid') === 'stColumn'))
            p = p.parentElement || (p.getRootNode && p.getRootNode().host);
        const r = p.getBoundingClientRect();
        return {x: r.x, y: r.y, width: r.width, height: r.height};
    }""")


@pytest.mark.parametrize("width, height, query", [(1280, 720, ""), (1280, 720, "?present=1"), (390, 844, "")])
def test_the_canvas_fits_its_box_and_its_right_edge_reaches_the_model(browser, server, width, height, query):
    url, _, _ = server
    context = browser.new_context(viewport={"width": width, "height": height})
    pg = context.new_page()
    try:
        canvas = open_mnist(pg, url, query)
        box, col = canvas.bounding_box(), column_of(canvas)
        assert box["width"] == 280
        assert col["x"] <= box["x"] and box["x"] + box["width"] <= col["x"] + col["width"] + 0.5, (box, col)
        scrolls = canvas.evaluate("""el => { const out = []; let p = el.parentElement;
            for (let i = 0; i < 6 && p; i++, p = p.parentElement) out.push(p.scrollWidth - p.clientWidth);
            return out; }""")
        assert max(scrolls) <= 0, f"the canvas scrolls sideways inside its box: {scrolls}"
        # the toolbar floats above the canvas: it must not cover the instruction
        instruction = pg.get_by_text("(mouse or finger)").bounding_box()
        toolbar = [b for b in (el.bounding_box() for el in pg.locator("canvas.upper-canvas").first.locator(
            "xpath=ancestor::*[contains(@class, 'dc-root')]//button").all()) if b]
        assert toolbar, "the canvas's toolbar was not found"
        for b in toolbar:
            assert b["y"] >= instruction["y"] + instruction["height"] or b["x"] >= instruction["x"] + 600, (b, instruction)
        # a stroke only in the rightmost 8 % of the canvas is drawn and read
        stroke(pg, box, 0.94)
        prediction = pg.get_by_role("heading", name=PREDICTION)
        prediction.wait_for(timeout=60_000)
        no_exception(pg)
        if width < 640:  # a phone: the prediction shows without scrolling, under the finger
            p = prediction.bounding_box()
            assert p["y"] + p["height"] <= height, p
        pg.screenshot(path=str(ARTIFACTS / f"mnist-canvas-{width}x{height}{'-present' if query else ''}.png"))
    finally:
        context.close()


def test_the_server_never_imports_tensorflow(browser, server):
    url, proc, out = server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    try:
        for path in PAGES:
            pg.goto(f"{url}/{path}")
            pg.get_by_role("heading", level=1).first.wait_for(timeout=120_000)
            wait_for_app(pg, timeout=120_000)
            no_exception(pg)
        canvas = open_mnist(pg, url)
        stroke(pg, canvas.bounding_box(), 0.5)
        assert pg.get_by_role("heading", name=PREDICTION).inner_text(timeout=60_000) == "Prediction: 1"
        for section in SECTIONS:
            pg.get_by_role("radio", name=section, exact=True).click()
            wait_for_app(pg, timeout=120_000)
            no_exception(pg)
        # a small Keras training: 1 epoch, batch 1024, 30 % held out
        pg.get_by_role("radio", name="Train your own", exact=True).click()
        wait_for_app(pg, timeout=120_000)
        sliders = pg.get_by_role("slider")
        sliders.nth(0).focus()
        pg.keyboard.press("Home")  # epochs: 1
        wait_for_app(pg)
        sliders.nth(1).focus()
        pg.keyboard.press("End")  # batch size: 1024
        wait_for_app(pg)
        sliders.nth(2).focus()
        pg.keyboard.press("End")  # validation split: 0.3
        wait_for_app(pg)
        pg.get_by_role("button", name="Train", exact=True).click()
        # the training's outcome, whichever it is: a failed or dropped one says so instead of waiting out the timeout
        outcome = pg.get_by_text(re.compile(r"^(Finished after 1 epoch|The training failed|This training was dropped)"))
        try:
            outcome.first.wait_for(timeout=300_000)  # 1 epoch: ~40 s for the whole test here
        except Exception as err:  # what the page showed instead, for the report
            pg.screenshot(path=str(ARTIFACTS / "mnist-training-timeout.png"), full_page=True)
            shown = pg.locator("[data-testid='stAlert'], [data-testid='stProgress']").all_inner_texts()
            raise AssertionError(f"no outcome of the training; the page showed {shown}") from err
        assert outcome.first.inner_text().startswith("Finished"), outcome.first.inner_text()
        wait_for_app(pg, timeout=120_000)
        assert pg.get_by_text("your model (trained in this session)", exact=False).count() >= 1
        pg.get_by_role("radio", name="Draw a digit", exact=True).click()
        canvas = pg.locator("canvas.upper-canvas").first
        canvas.wait_for(timeout=60_000)
        stroke(pg, canvas.bounding_box(), 0.5)
        pg.get_by_role("heading", name=PREDICTION).wait_for(timeout=60_000)  # read by the session's own model
        no_exception(pg)
    finally:
        context.close()
    modules = server_modules(proc, out)
    assert "streamlit" in modules and "nnviz.mnist.dense_net" in modules and "nnviz.serving.jobs" in modules
    assert not {m for m in modules if m.split(".")[0] in ("tensorflow", "keras")}, "the server imported TensorFlow"
    maps = Path(f"/proc/{proc.pid}/maps").read_text()
    assert "tensorflow" not in maps, "TensorFlow's libraries are loaded in the server process"
