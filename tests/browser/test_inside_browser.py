"""Inside the network, in a real browser at 1280×720: the live network drawing (it moves while a run plays, shows
the weights the run holds, and a clicked node's bias set by hand changes the loss as the core computes it), the
hidden space moving, points a class draws that train and travel in the link, and a drawn digit's hidden units
equal to the NumPy forward pass."""

import re
import urllib.parse

import numpy as np
from browser_helpers import no_exception, wait_for_app
from test_mnist_browser import open_mnist
from test_trainer_browser import epoch_shown, eventually
from test_trainer_layout_browser import button, open_trainer, state_shown

from nnviz.core.settings import from_query
from nnviz.serving.data_store import DataRef, load_data
from nnviz.viz.network_view import network_layout, network_spec

STEP = re.compile(r"^step ([\d,]+) · paused$")


def view(pg, name: str):
    pg.locator(".st-key-tr_view_box").get_by_text(name, exact=True).click()
    wait_for_app(pg, 120_000)


def chart_image(pg, key: str) -> bytes:
    return pg.locator(f".st-key-{key} canvas, [class*='st-key-{key}'] canvas").first.screenshot()


def paused_step(pg) -> int:
    text = pg.locator(".st-key-tr_readouts").get_by_text(STEP).first.inner_text()
    return int(STEP.match(text).group(1).replace(",", ""))


def the_run(url: str, steps: int):
    """The page's run, trained here to the same step: same settings, same seed, the same weights."""
    settings, problems = from_query(dict(urllib.parse.parse_qsl(urllib.parse.urlparse(url).query)))
    assert not problems
    ds = load_data(DataRef.for_settings(settings))
    trainer = settings.new_trainer(ds)
    trainer.run(steps=steps)
    return trainer, ds


def shown_matrices(pg) -> dict[str, np.ndarray]:
    """The weights the page writes as numbers (KaTeX keeps each formula's LaTeX in its MathML annotation)."""
    sources = pg.evaluate("() => [...document.querySelectorAll('annotation')].map(a => a.textContent || '')")
    out = {}
    for latex in sources:
        for name, layer, body in re.findall(r"([Wb])\^\{\[(\d)\]\} = \\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", latex):
            out[f"{name}{layer}"] = np.array([[float(v) for v in row.split("&")] for row in body.split(r"\\")])
    return out


def follows_the_run(pg, url: str, name: str, key: str):
    """Open ``url``, press Train, open the view ``name``: its chart (widget key ``key``) changes while it plays."""
    open_trainer(pg, url)
    button(pg, "Train").click()
    eventually(pg, lambda: epoch_shown(pg) >= 2, "the run plays")
    view(pg, name)
    first = chart_image(pg, key)
    eventually(pg, lambda: chart_image(pg, key) != first, f"the {name} view follows the run", 30)


def test_the_network_view_moves_shows_the_run_s_weights_and_edits_a_clicked_bias(screen, app_url):
    pg = screen
    follows_the_run(pg, f"{app_url}/shallow_network?ds=xor&hidden=4&speed=10&epochs=5000&seed=3&lr=0.3", "Network",
                    "tr_network")
    button(pg, "Pause").click()
    eventually(pg, lambda: state_shown(pg) == "paused", "Pause holds")
    wait_for_app(pg, 60_000)
    steps = paused_step(pg)
    trainer, ds = the_run(pg.url, steps)
    pg.get_by_text("The weights as numbers").click()
    eventually(pg, lambda: len(shown_matrices(pg)) == 4, "the weights are written out")
    for name, shown in shown_matrices(pg).items():  # the numbers on the page are the run's weights
        np.testing.assert_allclose(shown, trainer.model.params[name], atol=5.1e-4)
    # click hidden unit 2's node: its bias b[1]₂ is selected and set by hand
    model = trainer.model
    layout = network_layout(model, features=("x1", "x2"))
    canvas = pg.locator(".st-key-tr_network canvas").first
    box = canvas.bounding_box()
    spec = network_spec(layout, height=None)
    scales = [layer["encoding"] for layer in spec["layer"] if "x" in layer.get("encoding", {})
              and "scale" in layer["encoding"]["x"]][0]
    (x_lo, x_hi), (y_top, y_bottom) = scales["x"]["scale"]["domain"], scales["y"]["scale"]["domain"]
    px = box["x"] + 4 + (1 - x_lo) / (x_hi - x_lo) * (box["width"] - 16)
    py = box["y"] + 4 + (layout.offsets[1] + 1 - y_top) / (y_bottom - y_top) * (box["height"] - 8)
    pg.mouse.click(px, py)
    field = pg.get_by_label(re.compile(r"b\[1\]₂ = "))
    field.wait_for(timeout=60_000)
    field.fill("1.5")
    field.press("Enter")
    button(pg, "Set").click()
    note = pg.get_by_text(re.compile(r"the training loss went from")).first
    note.wait_for(timeout=60_000)
    before = model.loss(ds.X_train.T, model.targets(ds.y_train))
    model.set_weight("b1", 1, 0, 1.5)
    after = model.loss(ds.X_train.T, model.targets(ds.y_train))
    assert f"from {before:.4f} to {after:.4f}" in note.inner_text()  # the core's own numbers
    eventually(pg, lambda: "sched=" in pg.url and "b1.1.0" in urllib.parse.unquote(pg.url), "the link has the edit")
    no_exception(pg)


def test_the_hidden_space_moves_while_the_run_plays(screen, app_url):
    pg = screen
    follows_the_run(pg, f"{app_url}/shallow_network?ds=circles&hidden=3&speed=10&epochs=5000&seed=1&lr=0.3"
                        "&init=glorot", "Hidden space", "tr_hidden_space")
    button(pg, "Pause").click()
    no_exception(pg)


def test_five_drawn_points_train_and_the_link_reproduces_them(screen, app_url):
    pg = screen
    pg.goto(f"{app_url}/shallow_network?ds=draw&hidden=4&epochs=50&speed=max&seed=2&lr=1")
    plane = pg.locator(".st-key-tr_draw_plane canvas").first
    plane.wait_for()
    wait_for_app(pg, 120_000)
    box = plane.bounding_box()
    picker = pg.locator(".st-key-tr_draw_class")
    edge = pg.locator(".st-key-tr_draw_clear button").bounding_box()  # as wide as the column
    for c in range(6):  # every class a drawing can have is whole in its column (the sixth was cut off)
        b = picker.get_by_text(str(c), exact=True).bounding_box()
        assert b is not None and edge["x"] <= b["x"] and b["x"] + b["width"] <= edge["x"] + edge["width"] + 1, c
    for cls, points in (("0", [(0.35, 0.35), (0.4, 0.45), (0.45, 0.35)]), ("1", [(0.65, 0.7), (0.7, 0.6)])):
        pg.locator(".st-key-tr_draw_class").get_by_text(cls, exact=True).click()
        wait_for_app(pg, 60_000)
        for fx, fy in points:
            before = pg.url
            pg.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            eventually(pg, lambda before=before: pg.url != before, "the point is added", 60)
            wait_for_app(pg, 60_000)
    pts = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(pg.url).query))["pts"]
    assert pts.startswith("c") and len(pts) == 1 + 4 * 5
    button(pg, "Train").click()
    eventually(pg, lambda: state_shown(pg) == "finished", "the drawn set trains", 120)
    link = pg.url
    readouts = pg.locator(".st-key-tr_readouts").inner_text()
    other = pg.context.new_page()
    open_trainer(other, link)
    assert dict(urllib.parse.parse_qsl(urllib.parse.urlparse(other.url).query))["pts"] == pts
    button(other, "Train").click()
    eventually(other, lambda: state_shown(other) == "finished", "the link's run trains", 120)
    def numbers(text):  # each readout's value, but the speed (steps/s), which is the machine's, not the run's
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return [v for k, v in zip(lines, lines[1:], strict=False)
                if k != "Steps/s" and re.fullmatch(r"[\d.,]+ ?%?", v)]
    assert len(numbers(readouts)) >= 3  # accuracies and losses
    assert numbers(other.locator(".st-key-tr_readouts").inner_text()) == numbers(readouts)  # the same run
    no_exception(pg)


def plotly_values(pg, rows: int, cols: int) -> np.ndarray:
    """The z of the page's first Plotly heatmap of shape rows × cols, as Plotly drew it."""
    eventually(pg, lambda: heatmap(pg, rows, cols) is not None, f"a {rows}×{cols} heatmap is drawn", 60)
    return np.array(heatmap(pg, rows, cols), dtype=float)


def heatmap(pg, rows: int, cols: int):
    return pg.evaluate("""([rows, cols]) => {
        for (const el of document.querySelectorAll('.js-plotly-plot')) {
            const trace = el._fullData && el._fullData[0];
            const z = trace && trace.z;
            if (!z || !z.length) continue;
            const arr = Array.from(z, r => Array.from(r));
            if (arr.length === rows && arr[0].length === cols) return arr;
        }
        return null;
    }""", [rows, cols])


def test_a_drawn_seven_shows_its_hidden_units_as_numpy_computes_them(screen, app_url):
    from nnviz.mnist.dense_net import load_ready
    from nnviz.mnist.digit_units import digit_units

    pg = screen
    canvas = open_mnist(pg, app_url, "?section=Draw+a+digit")
    box = canvas.bounding_box()
    left, right = box["x"] + box["width"] * 0.25, box["x"] + box["width"] * 0.72
    top, bottom = box["y"] + box["height"] * 0.2, box["y"] + box["height"] * 0.85
    pg.mouse.move(left, top)
    pg.mouse.down()
    for i in range(1, 15):  # the bar of the 7
        pg.mouse.move(left + (right - left) * i / 14, top)
    for i in range(1, 20):  # its stroke down to the left
        pg.mouse.move(right - (right - left) * 0.45 * i / 19, top + (bottom - top) * i / 19)
    pg.mouse.up()
    pg.get_by_text(re.compile(r"^Prediction: \d$")).first.wait_for(timeout=120_000)
    eventually(pg, lambda: pg.get_by_text(re.compile(r"hidden units for this digit")).count() > 0,
               "the hidden units are shown", 60)
    digit = plotly_values(pg, 28, 28)
    inside = digit_units(load_ready(), digit)
    np.testing.assert_allclose(plotly_values(pg, 16, 32), inside.image, rtol=1e-5, atol=1e-6)
    assert pg.get_by_text(f"Prediction: {inside.predicted}", exact=True).count() >= 1
    no_exception(pg)
