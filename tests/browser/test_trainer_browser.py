"""The Shallow network page in a real browser: train, pause, reset; the link restores settings."""

import re
import time

from browser_helpers import no_exception, wait_for_app

TRAIN_LOSS_POINTS = """() => {
  // the vertices of the loss chart's "train loss" line (Vega draws it as one SVG path: M x,y L x,y L …)
  const line = document.querySelector('.st-key-tr_chart .mark-line path[aria-label*="series: train loss"]');
  return line ? (line.getAttribute('d') || '').split(/[ML]/).filter(Boolean).length : 0;
}"""


def epoch_shown(pg) -> int:
    text = pg.locator("h3").filter(has_text=re.compile(r"^Epoch \d+ / \d+$")).first.inner_text(timeout=60_000)
    return int(text.split()[1])


def eventually(pg, condition, what, timeout=60):
    """Poll until ``condition()`` holds: a loaded 2-core machine may be slow, never wrong."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        pg.wait_for_timeout(200)
    raise AssertionError(f"{what}: not within {timeout} s")


def test_train_pause_reset(page, app_url):
    page.goto(f"{app_url}/shallow_network?ds=moons&speed=10&epochs=5000")
    wait_for_app(page)
    no_exception(page)
    assert epoch_shown(page) == 0
    page.get_by_role("button", name="Train", exact=True).click()
    eventually(page, lambda: epoch_shown(page) >= 3, "Epoch advances after Train")
    first, points = epoch_shown(page), page.evaluate(TRAIN_LOSS_POINTS)
    eventually(page, lambda: epoch_shown(page) > first, "Epoch keeps advancing while playing")
    eventually(page, lambda: page.evaluate(TRAIN_LOSS_POINTS) > points, "the chart grows")
    page.get_by_role("button", name="Pause", exact=True).click()
    eventually(page, lambda: page.get_by_text(re.compile(r"^step [\d,]+ · paused$")).count() > 0, "Pause shows")
    held = epoch_shown(page)
    page.wait_for_timeout(1500)
    assert epoch_shown(page) == held, "Pause holds"
    page.get_by_role("button", name="Reset", exact=True).click()
    eventually(page, lambda: epoch_shown(page) == 0, "Reset clears the run")
    no_exception(page)


def test_the_shareable_link_restores_settings(page, app_url):
    page.goto(f"{app_url}/shallow_network?ds=xor&hidden=24&lr=0.03&batch=16&epochs=50&act=relu&seed=42")
    wait_for_app(page)
    no_exception(page)
    hidden = page.get_by_role("slider", name="Hidden units")
    assert hidden.get_attribute("aria-valuetext") == "24"
    assert page.get_by_role("slider", name="Learning rate").get_attribute("aria-valuetext") == "0.03"
    assert page.get_by_role("combobox", name="Dataset").input_value() == "XOR"
    assert page.get_by_label("Seed", exact=True).input_value() == "42"
    # every setting is in the URL, so the link in the address bar reproduces the run
    for part in ("ds=xor", "hidden=24", "lr=0.03", "batch=16", "act=relu", "seed=42"):
        assert part in page.url


CHANGE_LABELS = """() => [...document.querySelectorAll('.st-key-tr_chart text')].map(t => t.textContent)
  .filter(t => t.includes('→'))"""


def test_a_learning_rate_changed_while_playing_is_marked_and_kept_in_the_link(page, app_url):
    """Playground's "change while it plays": the run goes on (the epoch keeps counting), both charts mark the
    change, and the address bar's link replays it."""
    page.goto(f"{app_url}/shallow_network?ds=moons&speed=10&epochs=5000")
    wait_for_app(page)
    page.get_by_role("button", name="Train", exact=True).click()
    eventually(page, lambda: epoch_shown(page) >= 3, "Epoch advances after Train")
    lr = page.get_by_role("slider", name="Learning rate")
    lr.focus()
    lr.press("ArrowLeft")  # 1 → 0.3
    eventually(page, lambda: lr.get_attribute("aria-valuetext") == "0.3", "the slider moves")
    at_change = epoch_shown(page)
    eventually(page, lambda: page.evaluate(CHANGE_LABELS) == ["lr 1 → 0.3"] * 2, "both charts mark the change")
    eventually(page, lambda: epoch_shown(page) > at_change, "the same run goes on")
    assert epoch_shown(page) > 3  # not a fresh run from epoch 0
    eventually(page, lambda: re.search(r"sched=\d+%3Alr%3A0\.3|sched=\d+:lr:0\.3", page.url) is not None,
               "the link records the change")
    page.get_by_role("button", name="Pause", exact=True).click()
    no_exception(page)
