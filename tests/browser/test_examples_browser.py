"""The experiments beyond the lesson, each driven from its link in a real browser at 1280×720, trained to the end,
and judged by what the page itself shows: the readouts, the views, the status line (``nnviz.lesson.examples``)."""

import re
import urllib.parse

from browser_helpers import no_exception
from test_trainer_browser import eventually
from test_trainer_layout_browser import button, open_trainer, state_shown

from nnviz.core.settings import to_query
from nnviz.lesson.examples import EXAMPLES

BY_KEY = {e.key: e for e in EXAMPLES}


def readout(pg, label: str) -> str:
    metric = pg.locator('[data-testid="stMetric"]').filter(has=pg.get_by_text(label, exact=True)).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text().strip()


def percent(text: str) -> float:
    return float(text.replace("%", "").strip())


def trained(pg, app_url, key: str):
    """The example's link opened (at full speed), Train pressed, and the run finished."""
    query = {**to_query(BY_KEY[key].settings), "speed": "max"}
    open_trainer(pg, f"{app_url}/shallow_network?{urllib.parse.urlencode(query)}")
    button(pg, "Train").click()
    eventually(pg, lambda: state_shown(pg) == "finished", f"{key} finishes", 240)
    no_exception(pg)
    # a success ends green; only the example that teaches a failure ends in a warning
    success = pg.locator(".st-key-tr_status [data-testid='stAlertContentSuccess']").count() == 1
    status = pg.locator(".st-key-tr_status").inner_text()
    assert success == (BY_KEY[key].ends == "ok"), status
    assert not success or BY_KEY[key].watch in status  # what to watch stays on screen after a short run


def test_the_spiral_with_two_hidden_layers(screen, app_url):
    trained(screen, app_url, "spiral")
    assert percent(readout(screen, "Test accuracy")) >= 95


def test_the_circle_from_features_without_a_hidden_layer(screen, app_url):
    trained(screen, app_url, "circle_features")
    assert percent(readout(screen, "Test accuracy")) >= 95
    views = screen.locator(".st-key-tr_view_box")
    assert views.get_by_text("Hidden units").count() == 0  # there is none to show
    assert screen.get_by_text("The network sees x1², x2² of each point").count() == 1


def test_four_classes_and_their_confusion_matrix(screen, app_url):
    trained(screen, app_url, "blobs4")
    assert percent(readout(screen, "Test accuracy")) >= 90
    screen.locator(".st-key-tr_view_box").get_by_text("Confusion matrix", exact=True).click()
    screen.locator('[data-testid="stPlotlyChart"]').first.wait_for()
    cells = screen.locator('[data-testid="stPlotlyChart"] .heatmaplayer, [data-testid="stPlotlyChart"] .hm')
    eventually(screen, lambda: cells.count() > 0, "the confusion matrix is drawn")
    assert screen.get_by_text("a row per true class", exact=False).count() == 1
    no_exception(screen)


def test_the_plane_regression(screen, app_url):
    trained(screen, app_url, "plane")
    assert float(readout(screen, "Test R²")) >= 0.95
    assert screen.locator(".st-key-tr_view_box").get_by_text("Predicted surface").count() == 1


def test_l2_closes_the_overfitting_gap(screen, app_url):
    gaps = {}
    for key in ("overfit", "overfit_l2"):
        trained(screen, app_url, key)
        gaps[key] = float(readout(screen, "Test loss")) - float(readout(screen, "Train loss"))
        status = screen.locator(".st-key-tr_status").inner_text()
        assert ("Overfitting" in status) == (key == "overfit"), status
    assert gaps["overfit"] > 1.0 and gaps["overfit_l2"] < gaps["overfit"] / 3, gaps
    titles = screen.evaluate("() => [...document.querySelectorAll('.st-key-tr_chart text')].map(t => t.textContent)")
    assert any(re.search(r"cross-entropy \+ L2 penalty", t) for t in titles), titles  # the loss shown says so
