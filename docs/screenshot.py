"""Take the README's screenshot: the Shallow network page after a short run on the spiral, at 1280×720.

Uses the browser tests' tooling (``tests/browser/browser_helpers.py``): the app served by ``streamlit run``
on a free port, Debian's Chromium driven by Playwright. Reproducible: the run's settings, seed included,
are in the URL, and the picture is taken once the run has finished.

    make screenshot                     # writes docs/screenshot.png
    PYTHONPATH=tests/browser .venv/bin/python docs/screenshot.py [out.png]
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from browser_helpers import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, free_port, start_server, wait_for_app

from nnviz.core.settings import TrainerSettings, to_query

ROOT = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1280, "height": 720}
#: A 24-unit network learns the spiral in a few seconds of training.
RUN = TrainerSettings(dataset="spiral", noise=0.1, samples=400, hidden=24, lr=0.3, batch_size=16, epochs=500,
                      init="glorot", seed=0, speed="max")


def take(out: Path) -> None:
    from urllib.parse import urlencode

    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    proc = start_server(port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(f"http://127.0.0.1:{port}/shallow_network?{urlencode(to_query(RUN))}")
            page.get_by_role("heading", name="Shallow network", level=1).wait_for(timeout=120_000)
            wait_for_app(page, timeout=120_000)
            page.get_by_role("button", name="Train", exact=True).click(timeout=120_000)
            finished = page.get_by_role("heading", name=f"Epoch {RUN.epochs} / {RUN.epochs}", exact=True)
            finished.wait_for(timeout=300_000)
            wait_for_app(page, timeout=120_000)
            # the top of the page, as a visitor first sees it: navigation, controls, the finished run's numbers
            # and curves, the pointer out of the way of the charts' tooltips
            page.mouse.move(1, 1)
            page.locator(".st-key-tr_chart .vega-embed .marks").first.wait_for(timeout=60_000)
            page.screenshot(path=str(out), animations="disabled")
            browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(f"wrote {out} ({VIEWPORT['width']}×{VIEWPORT['height']})")


if __name__ == "__main__":
    take(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshot.png")
